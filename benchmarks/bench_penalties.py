"""Benchmark: penalties for 1,000,000 generated invoices with the batch path.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_penalties.py [--n 1000000] [--check 2000]

The portfolio is deterministic (seeded): amounts from 10 € to 50,000 €, due dates spread over
2015-01-01..2026-06-30, 85 % B2B (a fifth with a contractual rate), 5 % public buyers, 10 %
consumers (most with a formal notice); some paid on time, most paid late, some with partial
payments or credit notes, some still unpaid as of 2026-06-30.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from relance.law.batch import InvoiceInput, PenaltyTotals, compute_many
from relance.law.penalties import Settlement, penalty_or_reason
from relance.law.rates import load_shipped_rates

AS_OF = date(2026, 6, 30)
FIRST = date(2015, 1, 1)
CONTRACT_RATES = [Decimal("8"), Decimal("9.5"), Decimal("10"), Decimal("12"), Decimal("15")]


def generate(n: int, seed: int = 20260630) -> list[InvoiceInput]:
    """A deterministic random portfolio of `n` invoices."""
    rng = random.Random(seed)
    span = (AS_OF - FIRST).days
    out = []
    for _ in range(n):
        cents = rng.randint(1_000, 5_000_000)
        amount = Decimal(cents).scaleb(-2)
        due = FIRST + timedelta(days=rng.randrange(span))
        roll = rng.random()
        kind = "b2b" if roll < 0.85 else "public" if roll < 0.90 else "b2c"
        crate = rng.choice(CONTRACT_RATES) if kind == "b2b" and rng.random() < 0.2 else None
        notice = None
        if kind == "b2c" and rng.random() < 0.7:
            notice = min(due + timedelta(days=rng.randint(15, 90)), AS_OF)
        settlements: tuple[Settlement, ...] = ()
        status = rng.random()
        if status < 0.15:  # paid on or before the due date
            until = due - timedelta(days=rng.randint(0, 15))
        elif status < 0.75:  # paid late
            until = due + timedelta(days=int(rng.expovariate(1 / 45)) + 1)
        elif status < 0.90:  # partial payments or a credit note, then paid or still open
            parts = []
            for _ in range(rng.randint(1, 3)):
                day = due + timedelta(days=rng.randint(-10, 120))
                parts.append(Settlement(min(day, AS_OF), Decimal(cents // 4).scaleb(-2)))
            settlements = tuple(parts)
            until = max(s.date for s in parts) + timedelta(days=rng.randint(0, 90))
        else:  # still unpaid today
            until = AS_OF
        out.append(InvoiceInput(amount, due, min(until, AS_OF), kind, settlements, crate,
                                notice))
    return out


def main() -> None:
    """Generate, compute, print invoices per second."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--check", type=int, default=2_000,
                        help="compare the first N results with penalty_or_reason")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rates = load_shipped_rates()
    t0 = time.perf_counter()
    invoices = generate(args.n)
    print(f"generated {args.n:,} invoices in {time.perf_counter() - t0:.1f} s")
    timings = []
    results: list[object] = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results = list(compute_many(invoices, rates))
        timings.append(time.perf_counter() - t0)
    best = min(timings)
    total = sum(r.total for r in results if isinstance(r, PenaltyTotals))
    refused = sum(1 for r in results if not isinstance(r, PenaltyTotals))
    print(f"computed {args.n:,} invoices in {best:.2f} s (best of {args.repeat}): "
          f"{args.n / best:,.0f} invoices/s; claims total {total} €; {refused} refused")
    t0 = time.perf_counter()
    for inv, got in zip(invoices[: args.check], results, strict=False):
        ref = penalty_or_reason(
            amount=inv.amount, due=inv.due, until=inv.until, kind=inv.kind, rates=rates,
            settlements=inv.settlements, contractual_rate=inv.contractual_rate,
            notice_date=inv.notice_date,  # type: ignore[arg-type]
        )
        expected = PenaltyTotals.of(ref) if not hasattr(ref, "reason") else ref
        assert got == expected, (inv, got, expected)
    elapsed = time.perf_counter() - t0
    if args.check:
        print(f"checked {args.check:,} against compute_penalties: identical "
              f"(reference path: {args.check / elapsed:,.0f} invoices/s)")


if __name__ == "__main__":
    main()

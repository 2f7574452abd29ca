"""Properties of the penalty computation, checked on generated invoices (hypothesis)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.money import money
from relance.law.batch import InvoiceInput, PenaltyTotals, compute_many
from relance.law.conventions import Conventions
from relance.law.halfyear import HalfYear
from relance.law.penalties import NotComputable, Settlement, compute_penalties, penalty_or_reason
from relance.law.rates import load_shipped_rates

RATES = load_shipped_rates()
FIRST, LAST = date(2015, 1, 1), date(2026, 6, 30)

days = st.dates(min_value=FIRST, max_value=LAST)
amounts = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
contract = st.none() | st.sampled_from([Decimal("0"), Decimal("5"), Decimal("9.5"),
                                        Decimal("12.125"), Decimal("40")])
conventions = st.builds(
    Conventions,
    day_count=st.sampled_from(["actual/365", "actual/actual"]),
    count_payment_day=st.booleans(),
    count_notice_day=st.booleans(),
    floor_default_rate=st.booleans(),
    rounding=st.sampled_from(["half_year", "line", "total"]),
)


@st.composite
def settlements(draw, due: date):
    items = draw(st.lists(st.tuples(st.integers(-30, 400), amounts), max_size=4))
    return [Settlement(min(max(due + timedelta(days=d), FIRST), LAST), a) for d, a in items]


@st.composite
def b2b_cases(draw):
    due = draw(days)
    return {"amount": draw(amounts), "due": due, "kind": "b2b", "rates": RATES,
            "settlements": draw(settlements(due)), "contractual_rate": draw(contract),
            "conventions": draw(conventions)}


@given(b2b_cases(), st.data())
def test_interest_never_decreases_when_the_as_of_date_is_later(case, data):
    first = data.draw(st.dates(min_value=case["due"], max_value=LAST))
    later = data.draw(st.dates(min_value=first, max_value=LAST))
    assert (compute_penalties(until=first, **case).interest
            <= compute_penalties(until=later, **case).interest)


@given(amounts, days, st.data(), conventions)
def test_interest_never_decreases_when_the_payment_is_later(amount, due, data, conv):
    early = data.draw(st.dates(min_value=due - timedelta(days=20), max_value=LAST))
    late = data.draw(st.dates(min_value=early, max_value=LAST))

    def paid_on(day: date) -> Decimal:
        return compute_penalties(amount=amount, due=due, until=day, kind="b2b", rates=RATES,
                                 settlements=[Settlement(day, amount)],
                                 conventions=conv).interest
    assert paid_on(early) <= paid_on(late)


@given(amounts, st.data(), contract, conventions)
def test_splitting_a_delay_at_any_date_gives_the_same_total_within_a_cent(amount, data, rate,
                                                                          conv):
    due = data.draw(st.dates(min_value=FIRST, max_value=LAST - timedelta(days=2)))
    until = data.draw(st.dates(min_value=due, max_value=LAST))
    split = data.draw(st.dates(min_value=due, max_value=until))
    conv = Conventions(day_count=conv.day_count, rounding=conv.rounding,
                       floor_default_rate=conv.floor_default_rate)

    def interest(start: date, end: date) -> Decimal:
        return compute_penalties(amount=amount, due=start, until=end, kind="b2b", rates=RATES,
                                 contractual_rate=rate, conventions=conv).interest
    whole, parts = interest(due, until), interest(due, split) + interest(split, until)
    assert abs(whole - parts) <= money("0.01")


@given(amounts, days, st.data(), st.sampled_from(["b2b", "public", "b2c"]), conventions)
def test_payment_on_or_before_the_due_date_gives_zero_and_no_indemnity(amount, due, data, kind,
                                                                      conv):
    paid = data.draw(st.dates(min_value=FIRST, max_value=due))
    r = compute_penalties(amount=amount, due=due, until=paid, kind=kind, rates=RATES,
                          settlements=[Settlement(paid, amount)], notice_date=due,
                          conventions=conv)
    assert (r.interest, r.indemnity, r.total) == (money(0), money(0), money(0))


def _oracle(case: dict, until: date) -> Decimal:
    """Day by day: each counted day's base x rate / divisor, summed exactly per half-year."""
    conv: Conventions = case["conventions"]
    per_half: dict[HalfYear, Fraction] = {}
    day = case["due"] + timedelta(days=1)
    last = until if conv.count_payment_day else until - timedelta(days=1)
    while day <= last:
        settled = sum((s.amount for s in case["settlements"]
                       if (s.date < day if conv.count_payment_day else s.date <= day)),
                      Decimal(0))
        base = max(case["amount"] - settled, Decimal(0))
        if base:
            half = HalfYear.of(day)
            entry = RATES.entry(half)
            rate = entry.ecb + 10
            floor = 3 * entry.legal_other
            if case["contractual_rate"] is not None:
                rate = max(case["contractual_rate"], floor)
            elif conv.floor_default_rate:
                rate = max(rate, floor)
            leap = conv.day_count == "actual/actual" and calendar.isleap(day.year)
            per_half[half] = per_half.get(half, Fraction(0)) + (
                Fraction(base) * Fraction(rate) / 100 / (366 if leap else 365))
        day += timedelta(days=1)
    if conv.rounding == "total":
        return money(_round(sum(per_half.values(), Fraction(0))))
    return sum((money(_round(v)) for v in per_half.values()), money(0))


def _round(value: Fraction) -> Decimal:
    cents = value * 100
    return Decimal((2 * cents.numerator + cents.denominator) // (2 * cents.denominator)) / 100


@settings(max_examples=150)
@given(b2b_cases(), st.data())
def test_b2b_interest_equals_a_day_by_day_computation(case, data):
    if case["conventions"].rounding == "line":
        case["conventions"] = Conventions(rounding="half_year")
    until = data.draw(st.dates(min_value=case["due"],
                               max_value=min(LAST, case["due"] + timedelta(days=800))))
    assert compute_penalties(until=until, **case).interest == _oracle(case, until)


@st.composite
def any_invoice(draw):
    due = draw(st.dates(min_value=date(2014, 12, 1), max_value=date(2026, 12, 31)))
    kind = draw(st.sampled_from(["b2b", "b2b", "public", "b2c", "b2x"]))
    notice = draw(st.none() | st.dates(min_value=due - timedelta(days=10),
                                       max_value=due + timedelta(days=200)))
    return InvoiceInput(
        amount=draw(amounts | st.sampled_from([Decimal("-1.00"), Decimal("12.345")])),
        due=due,
        until=draw(st.dates(min_value=due - timedelta(days=30),
                            max_value=due + timedelta(days=900))),
        kind=kind,
        settlements=draw(settlements(due)),
        contractual_rate=draw(contract | st.just(Decimal("-2"))),
        notice_date=notice,
        creditor_private=draw(st.booleans()),
        extra_costs=draw(st.sampled_from([money(0), money("25"), money("-3")])),
    )


@settings(max_examples=400)
@given(st.lists(any_invoice(), min_size=1, max_size=8), conventions)
def test_the_batch_path_gives_exactly_the_results_of_compute_penalties(invoices, conv):
    batch = compute_many(invoices, RATES, conv)
    for inv, got in zip(invoices, batch, strict=True):
        ref = penalty_or_reason(
            amount=inv.amount, due=inv.due, until=inv.until, kind=inv.kind, rates=RATES,
            settlements=inv.settlements, contractual_rate=inv.contractual_rate,
            notice_date=inv.notice_date, creditor_private=inv.creditor_private,  # type: ignore[arg-type]
            extra_costs=inv.extra_costs, conventions=conv)
        expected = ref if isinstance(ref, NotComputable) else PenaltyTotals.of(ref)
        assert got == expected
        if isinstance(got, PenaltyTotals):
            assert str(got.interest) == str(expected.interest)  # same two-decimal form
            assert got.amount_due == expected.amount_due

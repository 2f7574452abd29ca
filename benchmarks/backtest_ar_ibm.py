"""Back-test of the lateness model on the public IBM accounts-receivable sample.

Run: .venv/bin/python benchmarks/backtest_ar_ibm.py [--path FILE] [--step 30] [--bootstrap 1000]
     [--synthetic 100000]

The sample (2,466 invoices of 100 customers, 2012-2013; licence unclear, so never copied into
this repository) is read from RELANCE_AR_SAMPLE or /work/shared/data/ar_ibm/. Rolling origin,
time-ordered: at each cutoff the model is trained on what was known then and predicts the
invoices issued in the next `step` days, each on its issue date; the rule "client's past late
rate" predicts the same invoices. Prints AUCs, Brier scores, the calibration table, the mean
absolute error of the expected payment date, a paired bootstrap interval of the AUC gain, and
optionally the training time on a synthetic ledger of N invoices.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from relance.prediction.model import Record, backtest, read_ar_sample, train

DEFAULT = "/work/shared/data/ar_ibm/WA_Fn-UseC_-Accounts-Receivable.csv"


def auc_gain_interval(y: np.ndarray, p: np.ndarray, b: np.ndarray, rounds: int,
                      seed: int = 0) -> tuple[float, float, float]:
    """Share of bootstrap resamples where the model's AUC beats the rule's, and the 2.5 and
    97.5 percentiles of the gain (paired: the same invoices for both)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(rounds):
        pick = rng.integers(0, len(y), len(y))
        if len(set(y[pick].tolist())) < 2:
            continue
        gains.append(roc_auc_score(y[pick], p[pick]) - roc_auc_score(y[pick], b[pick]))
    g = np.array(gains)
    return float((g > 0).mean()), float(np.percentile(g, 2.5)), float(np.percentile(g, 97.5))


def synthetic(n: int, clients: int, seed: int = 0) -> list[Record]:
    """A ledger of `n` invoices over two years, lateness driven by each client's habit."""
    rng = random.Random(seed)
    habits = [(f"C{i:06d}", rng.betavariate(1, 2)) for i in range(clients)]
    start, end = date(2024, 1, 1), date(2025, 12, 31)
    out = []
    for k in range(n):
        client, habit = rng.choice(habits)
        issued = start + timedelta(days=rng.randrange(730))
        due = issued + timedelta(days=rng.choice([30, 45, 60]))
        delay = rng.randint(1, 60) if rng.random() < habit else -rng.randint(0, 10)
        settled = due + timedelta(days=delay)
        out.append(Record(f"F{k:07d}", client, issued, due,
                          Decimal(rng.randint(1_000, 500_000)) / 100,
                          settled if settled < end else None, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", default=os.environ.get("RELANCE_AR_SAMPLE", DEFAULT))
    parser.add_argument("--step", type=int, default=30, help="days between cutoffs")
    parser.add_argument("--min-train", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=1000, help="0: no interval")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also time one training on a synthetic ledger of N invoices")
    args = parser.parse_args()

    path = Path(args.path)
    if not path.is_file():
        raise SystemExit(f"sample not found: {path} (set RELANCE_AR_SAMPLE)")
    records = read_ar_sample(path)
    started = time.perf_counter()
    result = backtest(records, step_days=args.step, min_train=args.min_train)
    elapsed = time.perf_counter() - started
    print(f"Sample: {path} ({len(records)} invoices)")
    print(result.text())
    data = result.as_json()
    print()
    print(f"auc_model={data['auc_model']} auc_baseline={data['auc_baseline']} "
          f"brier_model={data['brier_model']} brier_baseline={data['brier_baseline']} "
          f"mae_days_model={data['mae_days_model']} mae_days_baseline={data['mae_days_baseline']} "
          f"predictions={data['predictions']} cutoffs={data['cutoffs']} "
          f"models={data['models']} delay_rules={data['delay_rules']}")
    print(f"back-test time: {elapsed:.1f} s ({data['cutoffs']} trainings)")
    if args.bootstrap and result.scores is not None:
        share, low, high = auc_gain_interval(*result.scores, rounds=args.bootstrap)
        print(f"paired bootstrap ({args.bootstrap} resamples): model AUC > rule AUC in "
              f"{100 * share:.1f} %, gain 95 % interval [{low:+.4f}, {high:+.4f}]")
    if args.synthetic:
        ledger = synthetic(args.synthetic, max(args.synthetic // 20, 1))
        started = time.perf_counter()
        model = train(ledger, date(2025, 12, 31))
        trained = time.perf_counter() - started
        open_ones = [r for r in ledger if r.settled is None]
        started = time.perf_counter()
        model.predict(open_ones, date(2025, 12, 31))
        predicted = time.perf_counter() - started
        print(f"synthetic ledger of {args.synthetic} invoices: trained in {trained:.1f} s "
              f"({model.name}, {model.examples} examples), {len(open_ones)} open invoices "
              f"predicted in {predicted:.2f} s")


if __name__ == "__main__":
    main()

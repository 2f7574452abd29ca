"""Predicted lateness of open invoices ("retard prévu"), learnt from the creditor's history.

Pure: records in, predictions out; the database side is `relance.services.prediction`.

**No leakage.** A prediction made at date P (the *prediction date*) uses only what was known
at P: the invoice's own issue date, due date, amount and terms; for the client's history, the
lateness of invoices *settled strictly before P*, the invoices issued before P (how many are
still open at P and how many of those are overdue at P) and the disputes raised before P.
Never the invoice's own settlement date, never a later dispute. Every feature is computed from
dated events by binary search on "strictly before P", so a date after P cannot change it.

**Features** of an invoice predicted at P (`FEATURES`, same order):

- `settled_count`: log(1 + n), n = the client's invoices settled before P;
- `late_rate`: the client's past late rate, smoothed toward the global late rate known at P:
  (late + w·g) / (n + w), w = `PRIOR_WEIGHT`; it is also the baseline rule;
- `mean_days_late`, `max_days_late`, `last_days_late`: log(1 + days late) over the client's
  invoices settled before P (mean, maximum, the one settled last); missing without history;
- `mean_delay`: mean of (settled − due) in days, negative for early payers; missing likewise;
- `open_count`, `overdue_count`: log(1 + n) of the client's other invoices issued before P
  and still open at P, and of those already overdue at P;
- `open_amount`: log(1 + the amount of those open invoices);
- `terms_days`: due − issued, in days;
- `log_amount`: log(1 + amount);
- `amount_ratio`: log(amount / median amount of the client's invoices issued before this one);
- `due_month`: month of the due date (1–12);
- `paperless`: 1 electronic, 0 paper, missing when unknown;
- `client_disputed`: 1 when a dispute of the client was raised before P.

**Labels.** A model trained at date `at` learns from invoices issued and due before `at`: all
their labels are known at `at` (late = settled after the due date; an invoice still open at
`at` whose due date has passed is late whatever happens next). Invoices due on or after `at`
are left out even when already paid: keeping only the early payers among them would bias the
model toward punctuality. Each example's features are computed at its own issue date, the
moment a prediction for it would have been made.

**Model.** `HistGradientBoostingClassifier` and a scaled `LogisticRegression` are compared on
the last quarter (by issue date) of the training examples, fitted on the first three quarters;
the better AUC is refitted on all (no look at anything after `at`). The same is done for the
expected payment date: a gradient boosting regressor of (settled − due) with absolute loss
against the rule "the client's median past delay", by mean absolute error in days; the date is
the due date plus that delay, never less than zero. With fewer than `MIN_SETTLED` settled
invoices, fewer than `MIN_SETTLED` examples whose client already had a settled invoice (a young
ledger), or a single class, the model is the rule itself ("regle-taux-client").

An invoice already past due at P and still open is late whatever happens: its probability is 1
and its expected date is the median delay of the past invoices that were paid at least that
late (P itself when none was).

Probabilities leave this module as `Decimal` quantized to 0.0001: floats stay inside numpy.
"""

from __future__ import annotations

import csv
import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

FEATURES = (
    "settled_count",
    "late_rate",
    "mean_days_late",
    "max_days_late",
    "last_days_late",
    "mean_delay",
    "open_count",
    "overdue_count",
    "open_amount",
    "terms_days",
    "log_amount",
    "amount_ratio",
    "due_month",
    "paperless",
    "client_disputed",
)

PRIOR_WEIGHT = 2.0     # pseudo-invoices at the global late rate in the client's late rate
MIN_SETTLED = 50       # fewer settled invoices than this: the baseline rule is the model
RANDOM_STATE = 0
BASELINE_NAME = "regle-taux-client"
_VALIDATION_SHARE = 0.25
_MIN_VALIDATION = 30
_DEFAULT_CLASSIFIER = "logreg-v1"  # when the training period is too short to compare

_NEVER = 9_999_999     # ordinal of "not settled" / "no dispute": after any real date
_SPAN = 10_000_000     # event keys: client code * _SPAN + date ordinal
_BIG = 1.0e7           # offset separating clients in the grouped running maximum
_P4 = Decimal("0.0001")
_MICRO = 1_000_000

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


class Record(NamedTuple):
    """One invoice of the history, with what happened to it."""

    key: str                      # invoice id or number, unique
    client: str
    issued: date
    due: date
    amount: Decimal
    settled: date | None          # date fully settled; None: still open
    disputed_on: date | None      # date a dispute was raised, if any
    paperless: bool | None = None


class Prediction(NamedTuple):
    """Predicted lateness of one invoice."""

    key: str
    p_late: Decimal               # probability of being paid after the due date, 0.0001 steps
    expected_on: date             # expected payment date, never before the due date
    baseline: Decimal             # the client's past late rate (smoothed), 0.0001 steps


def to_decimal(value: float) -> Decimal:
    """A probability handed out of the numpy part: `Decimal` with four decimals."""
    return Decimal(str(round(float(value), 4))).quantize(_P4)


# --- point-in-time view of a ledger ---------------------------------------------------------


def _prefix_medians(groups: Ints, values: Floats) -> Floats:
    """`out[i]`: median of `values[j]`, j ≤ i, j in the same (contiguous) group as i."""
    out = np.empty(len(values), dtype=np.float64)
    low: list[float] = []   # max-heap of the lower half (negated)
    high: list[float] = []  # min-heap of the upper half
    previous = None
    for i, (group, value) in enumerate(zip(groups.tolist(), values.tolist(), strict=True)):
        if group != previous:
            low.clear()
            high.clear()
            previous = group
        if not low or value <= -low[0]:
            heapq.heappush(low, -value)
        else:
            heapq.heappush(high, value)
        if len(low) > len(high) + 1:
            heapq.heappush(high, -heapq.heappop(low))
        elif len(high) > len(low):
            heapq.heappush(low, -heapq.heappop(high))
        out[i] = -low[0] if len(low) > len(high) else (high[0] - low[0]) / 2
    return out


def _cumsum0(values: NDArray[Any]) -> Ints:
    """Running sums of integers, from 0: a client's sum (a difference of two of them) is
    exact, whatever the other clients' values, so no feature moves with unrelated events."""
    return np.concatenate(([0], np.cumsum(values, dtype=np.int64)))


def _count(keys: Ints, lo: Ints, hi: Ints) -> Ints:
    """How many keys lie in [lo, hi) (keys sorted)."""
    return np.searchsorted(keys, hi, "left") - np.searchsorted(keys, lo, "left")


class Ledger:
    """Records indexed by client and date, for point-in-time features of many invoices at once.

    Every query counts events dated strictly before the prediction date, by binary search over
    keys `client * _SPAN + date ordinal`: vectorised over all invoices of all clients.
    """

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = list(records)
        n = len(self.records)
        self.index = {r.key: i for i, r in enumerate(self.records)}
        if len(self.index) != n:
            raise ValueError("invoice keys must be unique")
        codes: dict[str, int] = {}
        self.client = np.fromiter((codes.setdefault(r.client, len(codes))
                                   for r in self.records), np.int64, n)
        self.issued = np.fromiter((r.issued.toordinal() for r in self.records), np.int64, n)
        self.due = np.maximum(
            np.fromiter((r.due.toordinal() for r in self.records), np.int64, n), self.issued)
        settled = np.fromiter((r.settled.toordinal() if r.settled else _NEVER
                               for r in self.records), np.int64, n)
        self.settled = np.maximum(settled, self.issued)  # never before its own issue
        self.amount = np.fromiter((float(r.amount) for r in self.records), np.float64, n)
        self.cents = cents = np.fromiter(
            (int((r.amount * 100).to_integral_value()) for r in self.records), np.int64, n)
        self.paperless = np.fromiter(
            (np.nan if r.paperless is None else float(r.paperless) for r in self.records),
            np.float64, n)
        self.due_month = np.fromiter((r.due.month for r in self.records), np.float64, n)
        disputed = np.fromiter((r.disputed_on.toordinal() if r.disputed_on else _NEVER
                                for r in self.records), np.int64, n)
        base = self.client * _SPAN

        order = np.argsort(base + self.issued, kind="stable")
        self.k_issued = (base + self.issued)[order]
        self.cum_issued_cents = _cumsum0(cents[order])
        self.median_amount = _prefix_medians(self.client[order], self.amount[order])

        done = np.flatnonzero(self.settled != _NEVER)
        keys = base[done] + self.settled[done]
        order = np.argsort(keys, kind="stable")
        done = done[order]
        self.k_settled = keys[order]
        delay = (self.settled - self.due)[done].astype(np.float64)
        days_late = np.maximum(delay, 0.0)
        self.days_late = days_late
        self.cum_late = _cumsum0(delay > 0)
        self.cum_log_late = _cumsum0(np.rint(np.log1p(days_late) * _MICRO))  # in millionths
        self.cum_delay = _cumsum0(delay)
        self.cum_settled_cents = _cumsum0(cents[done])
        offset = self.client[done] * _BIG
        self.running_max = np.maximum.accumulate(days_late + offset) - offset
        self.median_delay = _prefix_medians(self.client[done], delay)

        self.k_due = np.sort(base + self.due)
        self.k_due_closed = np.sort(base[done] + np.maximum(self.due, self.settled)[done])
        self.k_disputed = np.sort((base + disputed)[disputed != _NEVER])

        order = np.argsort(self.settled[done], kind="stable")
        self.g_settled = self.settled[done][order]
        self.g_cum_late = _cumsum0(delay[order] > 0)
        self.g_median_delay = _prefix_medians(np.zeros(len(order), np.int64), delay[order])

    def __len__(self) -> int:
        return len(self.records)

    def positions(self, records: Iterable[Record]) -> Ints:
        return np.fromiter((self.index[r.key] for r in records), np.int64)

    def features(self, rows: Ints, at: Ints) -> tuple[Floats, Floats, Floats]:
        """Features of invoices `rows` predicted at date ordinals `at` (see module docstring),
        with the baseline rate and the client's median past delay (global median without)."""
        rows = np.asarray(rows, dtype=np.int64)
        at = np.asarray(at, dtype=np.int64)
        lo = self.client[rows] * _SPAN
        hi = lo + at
        start = np.searchsorted(self.k_settled, lo, "left")
        stop = np.searchsorted(self.k_settled, hi, "left")
        n = (stop - start).astype(np.float64)
        has = n > 0
        last = np.maximum(stop - 1, 0)
        safe_n = np.maximum(n, 1.0)

        known = np.searchsorted(self.g_settled, at, "left")
        global_rate = np.where(known > 0, self.g_cum_late[known] / np.maximum(known, 1), 0.5)
        global_median = np.where(
            known > 0, self.g_median_delay[np.maximum(known - 1, 0)] if len(self.g_settled)
            else 0.0, 0.0)
        late = self.cum_late[stop] - self.cum_late[start]
        rate = (late + PRIOR_WEIGHT * global_rate) / (n + PRIOR_WEIGHT)
        nan = np.full(len(rows), np.nan)

        def where_has(values: Floats) -> Floats:
            return np.where(has, values, nan)

        if len(self.k_settled):
            max_late = where_has(np.log1p(self.running_max[last]))
            last_late = where_has(np.log1p(self.days_late[last]))
            median_delay = np.where(has, self.median_delay[last], global_median)
        else:
            max_late = last_late = nan
            median_delay = global_median
        mean_late = where_has((self.cum_log_late[stop] - self.cum_log_late[start]) / safe_n
                              / _MICRO)
        mean_delay = where_has((self.cum_delay[stop] - self.cum_delay[start]) / safe_n)

        own_open = (self.issued[rows] < at) & (self.settled[rows] >= at)
        own_overdue = (self.due[rows] < at) & (self.settled[rows] >= at)
        i_start = np.searchsorted(self.k_issued, lo, "left")
        i_stop = np.searchsorted(self.k_issued, hi, "left")
        open_count = (i_stop - i_start) - (stop - start) - own_open
        overdue = (_count(self.k_due, lo, hi) - _count(self.k_due_closed, lo, hi)
                   - own_overdue)
        open_cents = ((self.cum_issued_cents[i_stop] - self.cum_issued_cents[i_start])
                      - (self.cum_settled_cents[stop] - self.cum_settled_cents[start])
                      - own_open * self.cents[rows])
        open_amount = open_cents / 100

        amount = self.amount[rows]
        before = np.minimum(self.issued[rows], at)
        previous = np.searchsorted(self.k_issued, lo + before, "left") - i_start
        if len(self.k_issued):
            median_amount = self.median_amount[np.maximum(i_start + previous - 1, 0)]
        else:
            median_amount = nan
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((previous > 0) & (median_amount > 0) & (amount > 0),
                             np.log(amount / median_amount), nan)
        disputed = _count(self.k_disputed, lo, hi) > 0

        matrix = np.column_stack([
            np.log1p(n),
            rate,
            mean_late,
            max_late,
            last_late,
            mean_delay,
            np.log1p(np.maximum(open_count, 0)),
            np.log1p(np.maximum(overdue, 0)),
            np.log1p(np.maximum(open_amount, 0.0)),
            (self.due[rows] - self.issued[rows]).astype(np.float64),
            np.log1p(np.maximum(amount, 0.0)),
            ratio,
            self.due_month[rows],
            self.paperless[rows],
            disputed.astype(np.float64),
        ])
        return matrix, rate, median_delay

    def at_issue(self) -> tuple[Floats, Floats, Floats]:
        """Features of every invoice at its own issue date (cached: they never change)."""
        cached: tuple[Floats, Floats, Floats] | None = getattr(self, "_at_issue", None)
        if cached is None:
            rows = np.arange(len(self.records), dtype=np.int64)
            cached = self.features(rows, self.issued)
            self._at_issue = cached
        return cached


# --- the baseline rule ----------------------------------------------------------------------


def baseline_probability(history_before_p: Iterable[Record], client: str,
                         at: date | None = None) -> float:
    """The client's past late rate, smoothed toward the global one: (late + w·g) / (n + w).

    Counts the invoices of `history_before_p` settled strictly before `at` (all settled ones
    without `at`); g is the late rate of all of them (0.5 with none), w is `PRIOR_WEIGHT`.

    >>> r = Record("F1", "C1", date(2026, 1, 1), date(2026, 1, 31), Decimal("100.00"),
    ...            date(2026, 2, 10), None)
    >>> round(baseline_probability([r], "C1"), 4), round(baseline_probability([r], "C2"), 4)
    (1.0, 1.0)
    >>> baseline_probability([r], "C1", at=date(2026, 2, 10))
    0.5
    """
    late = settled = global_late = global_settled = 0
    for r in history_before_p:
        if r.settled is None or (at is not None and r.settled >= at):
            continue
        was_late = max(r.settled, r.issued) > max(r.due, r.issued)
        global_settled += 1
        global_late += was_late
        if r.client == client:
            settled += 1
            late += was_late
    rate = global_late / global_settled if global_settled else 0.5
    return (late + PRIOR_WEIGHT * rate) / (settled + PRIOR_WEIGHT)


# --- the model ------------------------------------------------------------------------------


def _classifiers() -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "hgb-v1": HistGradientBoostingClassifier(
            learning_rate=0.1, max_iter=50, max_leaf_nodes=8, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=False, random_state=RANDOM_STATE),
        "logreg-v1": make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
    }


def _regressor() -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="absolute_error", learning_rate=0.1, max_iter=60, max_leaf_nodes=8,
        min_samples_leaf=20, l2_regularization=1.0, early_stopping=False,
        random_state=RANDOM_STATE)


def _threads() -> Any:
    """One OpenMP thread: these trees are small, and on a 2-core machine shared with other
    work, threads made a fit 3 to 10 times slower (100,000 invoices: 0.5 s against 3 to 7 s)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _auc(y: NDArray[Any], p: Floats) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(np.asarray(y).tolist())) < 2:
        return None
    return float(roc_auc_score(y, p))


def _time_split(issued: Ints) -> tuple[Ints, Ints]:
    """Positions of the earlier three quarters and of the last quarter, by issue date."""
    order = np.argsort(issued, kind="stable")
    cut = int(len(order) * (1 - _VALIDATION_SHARE))
    return order[:cut], order[cut:]


@dataclass
class Model:
    """A trained predictor of lateness and of the payment date."""

    name: str                            # "hgb-v1", "logreg-v1" or "regle-taux-client"
    trained_at: date
    ledger: Ledger
    classifier: Any = None               # None: the baseline rule
    regressor: Any = None                # None: the client's median past delay
    delays: Floats = field(default_factory=lambda: np.zeros(0))  # sorted, of settled examples
    validation: dict[str, float] = field(default_factory=dict)
    columns: Ints = field(default_factory=lambda: np.arange(len(FEATURES)))  # features used
    examples: int = 0                    # invoices learnt from (labels known at trained_at)

    @property
    def delay_rule(self) -> str:
        return "hgb-delai-v1" if self.regressor is not None else "mediane-client"

    def predict(self, open_records: Sequence[Record], at: date) -> list[Prediction]:
        """Predictions at `at` for `open_records` (features use only what is known at `at`).

        An invoice past due at `at` and not settled before it is late already: p_late is 1
        and its expected date is at least what similar delays took once that far past due.
        """
        if at < self.trained_at:
            raise ValueError(f"a model trained at {self.trained_at} cannot predict at {at}: "
                             "it knows what happened in between")
        ledger = self.ledger
        if any(ledger.index.get(r.key) is None or ledger.records[ledger.index[r.key]] != r
               for r in open_records):
            merged = {r.key: r for r in ledger.records}
            merged.update((r.key, r) for r in open_records)
            ledger = Ledger(list(merged.values()))
        rows = ledger.positions(open_records)
        when = np.full(len(rows), at.toordinal(), dtype=np.int64)
        p_late, baseline, delay = self.raw(ledger, rows, when)
        return [
            Prediction(r.key, to_decimal(p), r.due + timedelta(days=int(d)), to_decimal(b))
            for r, p, b, d in zip(open_records, p_late.tolist(), baseline.tolist(),
                                  delay.tolist(), strict=True)
        ]

    def raw(self, ledger: Ledger, rows: Ints, at: Ints) -> tuple[Floats, Floats, Ints]:
        """(p_late, baseline, days after the due date expected) as numpy arrays."""
        if len(rows) == 0:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
        matrix, baseline, median_delay = ledger.features(rows, at)
        matrix = matrix[:, self.columns]
        with _threads():
            if self.classifier is None:
                p_late = baseline.copy()
            else:
                p_late = self.classifier.predict_proba(matrix)[:, 1]
            delay = median_delay if self.regressor is None else self.regressor.predict(matrix)
        delay = np.maximum(np.rint(delay), 0).astype(np.int64)
        settled, due = ledger.settled[rows], ledger.due[rows]
        known = settled < at
        past_due = ~known & (due < at)
        p_late = np.where(known, (settled > due).astype(np.float64), p_late)
        p_late = np.where(past_due, 1.0, p_late)
        delay = np.where(known, np.maximum(settled - due, 0), delay)
        if past_due.any():
            delay = np.where(past_due, np.maximum(delay, self._delay_beyond(at - due)), delay)
        return p_late, baseline, delay.astype(np.int64)

    def _delay_beyond(self, overdue: Ints) -> Ints:
        """Median delay of the training invoices that were paid at least `overdue` days late
        (the overdue days themselves when none was)."""
        delays = self.delays
        start = np.searchsorted(delays, overdue, "left")
        middle = np.minimum((start + len(delays)) // 2, max(len(delays) - 1, 0))
        beyond = delays[middle] if len(delays) else np.zeros(len(overdue))
        return np.where(start < len(delays), np.maximum(beyond, overdue), overdue).astype(
            np.int64)


def _examples(ledger: Ledger, at: int) -> Ints:
    """Invoices whose lateness is known at `at`: issued and due before it (see docstring)."""
    return np.flatnonzero((ledger.issued < at) & (ledger.due < at))


def fit(ledger: Ledger, at: date) -> Model:
    """Train on `ledger` as known at `at` (see `train`)."""
    day = at.toordinal()
    matrix, _, median_delay = ledger.at_issue()
    rows = _examples(ledger, day)
    y = (ledger.settled[rows] > ledger.due[rows]).astype(np.int64)
    settled_rows = np.flatnonzero(ledger.settled < day)
    delays = np.sort((ledger.settled - ledger.due)[settled_rows].astype(np.float64))
    model = Model(BASELINE_NAME, at, ledger, delays=delays, examples=len(rows))
    # Examples whose client had no settled invoice yet teach nothing about history: the
    # model needs enough of the others (a young ledger has few), else the rule is better.
    informed = matrix[rows, 0] > 0
    if (len(settled_rows) < MIN_SETTLED or int(informed.sum()) < MIN_SETTLED
            or len(set(y[informed].tolist())) < 2):
        return model
    # A feature never known in the history (paperless, in most ledgers) is left out.
    model.columns = np.flatnonzero(~np.isnan(matrix[rows]).all(axis=0))
    matrix = matrix[:, model.columns]
    with _threads():
        _fit_classifier(model, matrix[rows], y, ledger.issued[rows])
        _fit_regressor(model, matrix[settled_rows],
                       (ledger.settled - ledger.due)[settled_rows].astype(np.float64),
                       median_delay[settled_rows], ledger.issued[settled_rows])
    return model


def _fit_classifier(model: Model, x: Floats, y: Ints, issued: Ints) -> None:
    """Keep the candidate with the better AUC on the last quarter, refitted on everything."""
    first, last = _time_split(issued)
    scores: dict[str, float] = {}
    if len(last) >= _MIN_VALIDATION and len(set(y[first].tolist())) == 2:
        for name, estimator in _classifiers().items():
            estimator.fit(x[first], y[first])
            score = _auc(y[last], estimator.predict_proba(x[last])[:, 1])
            if score is not None:
                scores[name] = score
    model.name = max(scores, key=lambda k: scores[k]) if scores else _DEFAULT_CLASSIFIER
    model.validation.update({f"auc {k}": v for k, v in scores.items()})
    model.classifier = _classifiers()[model.name].fit(x, y)


def _fit_regressor(model: Model, x: Floats, delay: Floats, rule: Floats, issued: Ints) -> None:
    """A regressor of the delay if it beats the client's median past delay on the last
    quarter (mean absolute error in days of the clipped expected date)."""
    first, last = _time_split(issued)
    if len(last) < _MIN_VALIDATION:
        return
    regressor = _regressor().fit(x[first], delay[first])
    learnt = float(np.mean(np.abs(np.maximum(np.rint(regressor.predict(x[last])), 0)
                                  - delay[last])))
    ruled = float(np.mean(np.abs(np.maximum(np.rint(rule[last]), 0) - delay[last])))
    model.validation.update({"mae hgb-delai-v1": learnt, "mae mediane-client": ruled})
    if learnt < ruled:
        model.regressor = _regressor().fit(x, delay)


def train(records: Sequence[Record], at: date) -> Model:
    """A model of lateness as known at `at`: labels of invoices due before `at` only, each
    example's features computed at its own issue date; nothing dated `at` or later is used."""
    return fit(Ledger(records), at)


# --- back-test ------------------------------------------------------------------------------


class CalibrationBin(NamedTuple):
    low: float
    high: float
    invoices: int
    predicted: float | None    # mean predicted probability
    observed: float | None     # observed late rate


@dataclass(frozen=True)
class Backtest:
    """Figures of a rolling-origin, time-ordered back-test, model against the baseline rule."""

    predictions: int
    cutoffs: int
    first_cutoff: date | None
    last_cutoff: date | None
    step_days: int
    late_rate: float | None
    auc_model: float | None
    auc_baseline: float | None
    brier_model: float | None
    brier_baseline: float | None
    calibration: tuple[CalibrationBin, ...]
    settled: int                 # predictions whose actual payment date is known
    mae_days_model: float | None
    mae_days_baseline: float | None
    models: dict[str, int]
    delay_rules: dict[str, int]
    # (actual lateness, model probability, baseline) of every prediction, for further analysis
    scores: tuple[Floats, Floats, Floats] | None = field(default=None, repr=False,
                                                          compare=False)

    @property
    def beats_baseline(self) -> bool:
        return (self.auc_model is not None and self.auc_baseline is not None
                and self.auc_model > self.auc_baseline)

    def as_json(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "predictions": self.predictions,
            "cutoffs": self.cutoffs,
            "first_cutoff": self.first_cutoff.isoformat() if self.first_cutoff else None,
            "last_cutoff": self.last_cutoff.isoformat() if self.last_cutoff else None,
            "step_days": self.step_days,
            "late_rate": r(self.late_rate),
            "auc_model": r(self.auc_model),
            "auc_baseline": r(self.auc_baseline),
            "beats_baseline": self.beats_baseline,
            "brier_model": r(self.brier_model),
            "brier_baseline": r(self.brier_baseline),
            "settled": self.settled,
            "mae_days_model": r(self.mae_days_model),
            "mae_days_baseline": r(self.mae_days_baseline),
            "models": self.models,
            "delay_rules": self.delay_rules,
            "calibration": [
                {"low": b.low, "high": b.high, "count": b.invoices, "predicted": r(b.predicted),
                 "observed": r(b.observed)} for b in self.calibration],
        }

    def text(self) -> str:
        from relance.i18n import format_date

        def num(value: float | None, digits: int = 4) -> str:
            return "n.d." if value is None else f"{value:.{digits}f}".replace(".", ",")

        def pct(value: float | None) -> str:
            return "n.d." if value is None else f"{100 * value:.1f}".replace(".", ",") + " %"

        if not self.predictions:
            return ("Back-test impossible : pas assez d'historique (il faut des factures "
                    "réglées ou échues avant les dates de coupure).")
        assert self.first_cutoff is not None and self.last_cutoff is not None
        lines = [
            f"Back-test chronologique (origine glissante, pas de {self.step_days} jours) : "
            f"{self.cutoffs} date(s) de coupure du {format_date(self.first_cutoff)} au "
            f"{format_date(self.last_cutoff)}, {self.predictions} facture(s) prédite(s) le jour "
            f"de leur émission, taux de retard observé {pct(self.late_rate)}.",
            f"AUC du modèle : {num(self.auc_model)} — AUC de la règle « taux de retard passé "
            f"du client » : {num(self.auc_baseline)}",
            f"Score de Brier du modèle : {num(self.brier_model)} — de la règle : "
            f"{num(self.brier_baseline)} (plus bas = mieux)",
        ]
        if self.settled:
            lines.append(
                f"Erreur absolue moyenne de la date de paiement attendue : "
                f"{num(self.mae_days_model, 1)} jour(s) — règle « délai médian passé du "
                f"client » : {num(self.mae_days_baseline, 1)} jour(s) "
                f"({self.settled} facture(s) réglée(s))")
        used = ", ".join(f"{k} ({v})" for k, v in sorted(self.models.items()))
        lines.append(f"Modèles retenus par coupure : {used}")
        lines.append("Le modèle " + ("bat" if self.beats_baseline else "ne bat pas")
                     + " la règle du taux de retard passé du client.")
        lines.append("Calibration (probabilité prévue → taux de retard observé) :")
        for b in self.calibration:
            if b.invoices:
                lines.append(f"  {round(100 * b.low):>3}–{round(100 * b.high):<3} %  "
                             f"{b.invoices:>6} facture(s)  prévu {pct(b.predicted):>7}  "
                             f"observé {pct(b.observed):>7}")
        return "\n".join(lines)


def _calibration(y: Floats, p: Floats, bins: int = 10) -> tuple[CalibrationBin, ...]:
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for k in range(bins):
        mask = which == k
        count = int(mask.sum())
        out.append(CalibrationBin(k / bins, (k + 1) / bins, count,
                                  float(p[mask].mean()) if count else None,
                                  float(y[mask].mean()) if count else None))
    return tuple(out)


def backtest(records: Sequence[Record], *, start: date | None = None, step_days: int = 30,
             min_train: int = 200, asof: date | None = None) -> Backtest:
    """Rolling origin: at each cutoff P (every `step_days` days), train on what is known at P
    and predict the invoices issued in [P, P + step), each on its issue date. The actual
    lateness, known afterwards (as of `asof`, default the last date of the records), is used
    only to score the predictions, against the baseline rule on the same invoices."""
    ledger = Ledger(records)
    if not len(ledger):
        return _empty(step_days)
    horizon = (asof.toordinal() if asof else
               int(max(ledger.issued.max(), np.where(ledger.settled == _NEVER, 0,
                                                     ledger.settled).max())))
    if start is None:
        due = np.sort(ledger.due)
        if len(due) < min_train:
            return _empty(step_days)
        first = int(due[min_train - 1]) + 1
    else:
        first = start.toordinal()
    last_issue = int(ledger.issued.max())
    settled_known = ledger.settled <= horizon
    outcome_known = settled_known | (ledger.due < horizon)
    ys: list[Floats] = []
    ps: list[Floats] = []
    bs: list[Floats] = []
    errors: list[Floats] = []
    rule_errors: list[Floats] = []
    models: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    cutoffs: list[int] = []
    _, _, median_delay = ledger.at_issue()
    for cut in range(first, last_issue + 1, step_days):
        batch = np.flatnonzero((ledger.issued >= cut) & (ledger.issued < cut + step_days)
                               & outcome_known)
        if not len(batch):
            continue
        model = fit(ledger, date.fromordinal(cut))
        cutoffs.append(cut)
        models[model.name] += 1
        rules[model.delay_rule] += 1
        p, b, delay = model.raw(ledger, batch, ledger.issued[batch])
        ys.append((ledger.settled[batch] > ledger.due[batch]).astype(np.float64))
        ps.append(p)
        bs.append(b)
        paid = batch[settled_known[batch]]
        actual = ledger.settled[paid]
        errors.append(np.abs(ledger.due[paid] + delay[settled_known[batch]] - actual))
        rule = np.maximum(np.rint(median_delay[paid]), 0)
        rule_errors.append(np.abs(ledger.due[paid] + rule - actual))
    if not cutoffs:
        return _empty(step_days)
    y, p, b = np.concatenate(ys), np.concatenate(ps), np.concatenate(bs)
    error, rule_error = np.concatenate(errors), np.concatenate(rule_errors)
    return Backtest(
        predictions=len(y),
        cutoffs=len(cutoffs),
        first_cutoff=date.fromordinal(cutoffs[0]),
        last_cutoff=date.fromordinal(cutoffs[-1]),
        step_days=step_days,
        late_rate=float(y.mean()),
        auc_model=_auc(y, p),
        auc_baseline=_auc(y, b),
        brier_model=float(np.mean((p - y) ** 2)),
        brier_baseline=float(np.mean((b - y) ** 2)),
        calibration=_calibration(y, p),
        settled=len(error),
        mae_days_model=float(error.mean()) if len(error) else None,
        mae_days_baseline=float(rule_error.mean()) if len(rule_error) else None,
        models=dict(models),
        delay_rules=dict(rules),
        scores=(y, p, b),
    )


def _empty(step_days: int) -> Backtest:
    return Backtest(0, 0, None, None, step_days, None, None, None, None, None, (), 0, None,
                    None, {}, {})


# --- the public accounts-receivable sample ---------------------------------------------------


def read_ar_sample(path: str | Path) -> list[Record]:
    """The IBM Watson accounts-receivable sample (2,466 invoices, US dates m/d/yyyy).

    Its `Disputed` column has no date: whether a dispute was raised before a prediction date
    is unknown, so it is left out (`disputed_on` None). `PaperlessBill` is the invoice's own
    channel (electronic exactly when issued after the client's paperless date): known at issue.
    """
    def day(text: str) -> date:
        return datetime.strptime(text.strip(), "%m/%d/%Y").date()

    out = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            settled = row.get("SettledDate", "").strip()
            paperless = row.get("PaperlessBill", "").strip().lower()
            out.append(Record(
                key=row["invoiceNumber"].strip(),
                client=row["customerID"].strip(),
                issued=day(row["InvoiceDate"]),
                due=day(row["DueDate"]),
                amount=Decimal(str(row["InvoiceAmount"]).strip()),
                settled=day(settled) if settled else None,
                disputed_on=None,
                paperless=None if not paperless else paperless == "electronic",
            ))
    return out

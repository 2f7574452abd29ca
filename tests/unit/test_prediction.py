"""Predicted lateness: no leakage, the baseline rule, Decimal outputs, a model that learns."""

from __future__ import annotations

import math
import os
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from relance.prediction.model import (
    BASELINE_NAME,
    FEATURES,
    PRIOR_WEIGHT,
    Ledger,
    Record,
    backtest,
    baseline_probability,
    read_ar_sample,
    train,
)

START = date(2024, 1, 1)
AT = date(2025, 7, 1)
AR_SAMPLE = Path(os.environ.get("RELANCE_AR_SAMPLE",
                                "/work/shared/data/ar_ibm/WA_Fn-UseC_-Accounts-Receivable.csv"))


def portfolio(clients: int = 40, invoices: int = 1200, seed: int = 7,
              end: date = date(2025, 12, 31)) -> list[Record]:
    """Lateness driven by each client's habit, and by invoices much larger than the client's
    usual ones (which the client's past late rate cannot see). Settlements after `end` are
    not known yet (open invoices)."""
    rng = random.Random(seed)
    habits = [(f"C{i:03d}", rng.uniform(-3.0, 2.0), rng.choice([200, 1000, 5000]))
              for i in range(clients)]
    out = []
    for k in range(invoices):
        client, habit, usual = rng.choice(habits)
        issued = START + timedelta(days=rng.randrange(700))
        due = issued + timedelta(days=rng.choice([30, 45, 60]))
        big = rng.random() < 0.2
        amount = Decimal(usual * (8 if big else 1) * rng.randint(80, 120)) / 100
        late = rng.random() < 1 / (1 + math.exp(-(habit + (3.0 if big else 0.0))))
        delay = rng.randint(1, 50) if late else -rng.randint(0, 12)
        settled = due + timedelta(days=delay)
        disputed = issued + timedelta(days=rng.randint(5, 60)) if rng.random() < 0.05 else None
        out.append(Record(f"F{k:05d}", client, issued, due, amount,
                          settled if settled <= end else None, disputed))
    return out


def as_known_before(records: list[Record], at: date) -> list[Record]:
    """What was known strictly before `at`: later invoices, settlements, disputes erased."""
    return [r._replace(settled=r.settled if r.settled and r.settled < at else None,
                       disputed_on=r.disputed_on if r.disputed_on and r.disputed_on < at
                       else None)
            for r in records if r.issued < at]


def open_at(records: list[Record], at: date) -> list[Record]:
    return [r for r in records if r.issued < at and (r.settled is None or r.settled >= at)]


# --- leakage -------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [date(2024, 9, 1), date(2025, 3, 17), AT])
def test_features_at_a_date_only_see_what_was_known_before_it(at):
    records = portfolio()
    past = as_known_before(records, at)
    rows = [r.key for r in past]
    full, truncated = Ledger(records), Ledger(past)
    day = np.full(len(rows), at.toordinal())
    a = full.features(np.array([full.index[k] for k in rows]), day)
    b = truncated.features(np.array([truncated.index[k] for k in rows]), day)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_future_settlements_and_later_disputes_never_change_a_prediction():
    records = portfolio()
    rng = random.Random(1)
    changed = []
    for r in records:
        if r.settled is not None and r.settled >= AT:       # moved, or not paid at all
            r = r._replace(settled=rng.choice([None, r.settled + timedelta(days=90)]))
        no_dispute_yet = r.disputed_on is None or r.disputed_on >= AT
        if no_dispute_yet and rng.random() < 0.3:            # a dispute raised on or after AT
            r = r._replace(disputed_on=AT + timedelta(days=rng.randint(0, 30)))
        changed.append(r)
    assert changed != records
    wanted = open_at(records, AT)
    before = train(records, AT).predict(wanted, AT)
    after = train(changed, AT).predict(open_at(changed, AT), AT)
    assert before == after
    assert len(before) == len(wanted) > 20


def test_the_past_does_change_predictions():  # the previous test is not vacuous
    records = portfolio()
    changed = [r._replace(settled=r.due + timedelta(days=40))
               if r.settled is not None and r.settled < AT - timedelta(days=200) else r
               for r in records]
    wanted = open_at(records, AT)
    assert train(records, AT).predict(wanted, AT) != train(changed, AT).predict(wanted, AT)


def test_an_invoice_own_settlement_never_changes_its_prediction():
    records = portfolio()
    model = train(records, AT)
    target = next(r for r in records if r.issued > AT and r.settled is not None)
    other = target._replace(settled=target.due + timedelta(days=75))
    mine = model.predict([target], target.issued)
    assert mine == model.predict([other], target.issued)


def test_a_model_cannot_predict_before_the_date_it_was_trained_at():
    model = train(portfolio(), AT)
    with pytest.raises(ValueError):
        model.predict(open_at(portfolio(), AT), AT - timedelta(days=1))


# --- baseline ------------------------------------------------------------------------------


def rec(key: str, client: str, due: date, settled: date | None) -> Record:
    return Record(key, client, due - timedelta(days=30), due, Decimal("100.00"), settled, None)


def test_baseline_is_the_client_late_rate_smoothed_toward_the_global_one():
    due = date(2025, 1, 31)
    history = [rec("A1", "A", due, due + timedelta(days=5)),      # late
               rec("A2", "A", due, due),                          # on time
               rec("A3", "A", due, due - timedelta(days=3)),      # early
               *(rec(f"B{i}", "B", due, due + timedelta(days=i % 2)) for i in range(7))]
    g = 4 / 10                                                     # global: 1 + 3 late of 10
    assert baseline_probability(history, "A") == pytest.approx((1 + PRIOR_WEIGHT * g) / (3 + PRIOR_WEIGHT))
    assert baseline_probability(history, "new client") == pytest.approx(g)
    assert baseline_probability([], "A") == 0.5
    # Only settlements strictly before the date count.
    assert baseline_probability(history, "A", at=due + timedelta(days=5)) == pytest.approx(
        (0 + PRIOR_WEIGHT * 3 / 9) / (2 + PRIOR_WEIGHT))
    # Many late invoices: the rate tends to 1, the prior fades.
    chronic = [rec(f"L{i}", "L", due, due + timedelta(days=30)) for i in range(200)]
    assert baseline_probability(history + chronic, "L") > 0.99


def test_the_vectorised_baseline_matches_the_plain_one():
    records = portfolio(clients=10, invoices=150)
    ledger = Ledger(records)
    at = date(2025, 2, 1)
    rows = np.arange(len(records))
    _, rate, _ = ledger.features(rows, np.full(len(rows), at.toordinal()))
    for r, got in zip(records, rate.tolist(), strict=True):
        assert got == pytest.approx(baseline_probability(records, r.client, at))


# --- outputs -------------------------------------------------------------------------------


def test_predictions_are_decimals_and_never_expect_payment_before_the_due_date():
    records = portfolio()
    model = train(records, AT)
    assert model.name in ("hgb-v1", "logreg-v1")
    predictions = model.predict(open_at(records, AT), AT)
    by_key = {r.key: r for r in records}
    for p in predictions:
        r = by_key[p.key]
        for value in (p.p_late, p.baseline):
            assert isinstance(value, Decimal) and value.as_tuple().exponent == -4
            assert Decimal(0) <= value <= Decimal(1)
        assert p.expected_on >= r.due
        if r.due < AT:                  # already late: certain, and not expected in the past
            assert p.p_late == Decimal("1.0000") and p.expected_on >= AT


def test_little_history_falls_back_to_the_rule_with_the_client_median_delay():
    due = date(2025, 1, 31)
    history = [rec("A1", "A", due, due + timedelta(days=4)),
               rec("A2", "A", due + timedelta(days=30), due + timedelta(days=40)),
               rec("A3", "A", due + timedelta(days=60), due + timedelta(days=50)),
               rec("B1", "B", due, due - timedelta(days=2))]
    open_one = rec("A4", "A", date(2025, 6, 30), None)
    at = date(2025, 6, 1)
    model = train([*history, open_one], at)
    assert model.name == BASELINE_NAME
    [p] = model.predict([open_one], at)
    assert float(p.p_late) == pytest.approx(baseline_probability(history, "A", at), abs=1e-4)
    assert p.p_late == p.baseline
    assert p.expected_on == open_one.due + timedelta(days=4)   # median of -10, 4, 10


def test_features_are_documented():
    import relance.prediction.model as module

    assert module.__doc__ is not None
    for name in FEATURES:
        assert f"`{name}`" in module.__doc__


# --- learning ------------------------------------------------------------------------------


def test_on_a_portfolio_driven_by_client_behaviour_the_model_beats_the_rule():
    result = backtest(portfolio(), step_days=60)
    assert result.predictions > 300
    assert result.auc_baseline is not None and result.auc_baseline > 0.6
    assert result.auc_model is not None and result.auc_model > 0.5
    assert result.auc_model >= result.auc_baseline
    assert result.brier_model is not None and result.brier_baseline is not None
    assert result.mae_days_model is not None
    assert sum(b.invoices for b in result.calibration) == result.predictions
    data = result.as_json()
    assert data["beats_baseline"] is True and len(data["calibration"]) == 10
    text = result.text()
    assert "AUC du modèle : 0," in text
    assert "AUC de la règle « taux de retard passé du client » : 0," in text


def test_a_backtest_without_enough_history_says_so():
    result = backtest(portfolio(invoices=50))
    assert result.predictions == 0 and result.auc_model is None
    assert "pas assez d'historique" in result.text()


# --- the public sample ---------------------------------------------------------------------


def test_the_ar_sample_format_is_read_with_us_dates_and_exact_amounts(tmp_path):
    path = tmp_path / "ar.csv"
    path.write_text(
        "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
        "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n"
        "100,0001-AAAAA,4/6/2013,1001,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
        "100,0002-BBBBB,3/3/2012,1002,1/26/2013,2/25/2013,61.7,Yes,3/3/2013,Electronic,36,6\n")
    first, second = read_ar_sample(path)
    assert first == Record("1001", "0001-AAAAA", date(2013, 1, 2), date(2013, 2, 1),
                           Decimal("55.94"), date(2013, 1, 15), None, False)
    assert second.amount == Decimal("61.7") and second.paperless is True
    assert second.disputed_on is None            # "Disputed" has no date: never a feature


def test_the_real_ar_sample_is_read_whole():
    if not AR_SAMPLE.is_file():
        pytest.skip(f"IBM accounts-receivable sample absent ({AR_SAMPLE}); set "
                    "RELANCE_AR_SAMPLE to its path")
    records = read_ar_sample(AR_SAMPLE)
    assert len(records) == 2466
    assert all(r.settled is not None and r.due == r.issued + timedelta(days=30)
               for r in records)

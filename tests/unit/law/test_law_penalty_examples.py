"""The worked examples of the law file (§10), to the cent, and each documented variant."""

from __future__ import annotations

from datetime import date

from relance.domain.money import money
from relance.law.conventions import Conventions
from relance.law.penalties import NoticeDates, compute_penalties
from relance.law.rates import load_shipped_rates

RATES = load_shipped_rates()


def example_a(**conventions):
    return compute_penalties(amount=money("10000.00"), due=date(2024, 3, 15),
                             until=date(2024, 9, 30), kind="b2b", rates=RATES,
                             conventions=Conventions(**conventions))


def example_b(**conventions):
    return compute_penalties(amount=money("2500.00"), due=date(2025, 11, 20),
                             until=date(2026, 2, 10), kind="b2b", rates=RATES,
                             conventions=Conventions(**conventions))


def example_c(creditor_private=False, notice=date(2025, 5, 5), **conventions):
    return compute_penalties(amount=money("1200.00"), due=date(2025, 4, 30),
                             until=date(2025, 12, 31), kind="b2c", rates=RATES,
                             notice_date=notice, creditor_private=creditor_private,
                             conventions=Conventions(**conventions))


def breakdown(result):
    return [(p.days, str(p.rate), str(p.interest)) for p in result.periods]


def test_example_a_b2b_10000_due_15_march_2024_paid_30_september_gives_784_25_plus_40():
    r = example_a()
    assert breakdown(r) == [(107, "14.50", "425.07"), (92, "14.25", "359.18")]
    assert (r.interest, r.indemnity, r.total) == (money("784.25"), money("40"), money("824.25"))
    assert r.days == 199
    assert r.principal_open == money("10000")  # nothing recorded as paid: the caller's ledger
    assert r.amount_due == money("10824.25")


def test_example_a_with_actual_actual_gives_782_11():
    r = example_a(day_count="actual/actual")
    assert breakdown(r) == [(107, "14.50", "423.91"), (92, "14.25", "358.20")]
    assert r.interest == money("782.11") and r.total == money("822.11")


def test_example_a_with_the_floor_on_the_default_rate_gives_817_91():
    r = example_a(floor_default_rate=True)
    assert breakdown(r) == [(107, "15.21", "445.88"), (92, "14.76", "372.03")]
    assert r.interest == money("817.91")
    assert any("plancher" in note for note in r.notes)


def test_example_b_b2b_2500_unpaid_on_10_february_2026_gives_68_24_plus_40():
    r = example_b()
    assert breakdown(r) == [(41, "12.15", "34.12"), (41, "12.15", "34.12")]
    assert (r.interest, r.indemnity) == (money("68.24"), money("40"))
    assert r.amount_due == money("2608.24")


def test_example_b_without_counting_the_as_of_day_gives_67_41():
    r = example_b(count_payment_day=False)
    assert r.days == 81 and r.interest == money("67.41")


def test_example_c_b2c_business_creditor_by_default_gives_23_53_and_no_indemnity():
    r = example_c()
    assert breakdown(r) == [(56, "3.71", "6.83"), (184, "2.76", "16.70")]
    assert (r.interest, r.indemnity, r.extra_costs) == (money("23.53"), money(0), money(0))


def test_example_c_with_a_private_creditor_gives_53_50():
    r = example_c(creditor_private=True)
    assert breakdown(r) == [(56, "7.21", "13.27"), (184, "6.65", "40.23")]
    assert r.interest == money("53.50") and r.indemnity == money(0)


def test_example_c_counting_the_notice_day_and_not_the_payment_day_gives_53_52():
    r = example_c(creditor_private=True, count_notice_day=True, count_payment_day=False)
    assert breakdown(r) == [(57, "7.21", "13.51"), (183, "6.65", "40.01")]
    assert r.interest == money("53.52")


def test_example_c_from_the_sending_date_adds_the_extra_days_at_7_21():
    notice = NoticeDates(sent=date(2025, 5, 2), received=date(2025, 5, 5))
    received = example_c(creditor_private=True, notice=notice)
    sent = example_c(creditor_private=True, notice=notice, notice_basis="sending")
    assert received.interest == money("53.50")
    assert breakdown(sent)[0] == (59, "7.21", "13.99")  # 1200 x 7.21 % x 59 / 365 = 13.985
    assert sent.interest == money("54.22")


def test_the_result_records_the_conventions_used_and_serialises_to_json():
    data = example_a(day_count="actual/actual").to_json()
    assert data["interest"] == "782.11" and data["indemnity"] == "40.00"
    assert data["total"] == "822.11" and data["amount_due"] == "10822.11"
    assert data["periods"][0] == {"from": "2024-03-16", "to": "2024-06-30", "days": 107,
                                  "base": "10000.00", "rate": "14.50", "interest": "423.91"}
    assert data["conventions"]["day_count"] == "actual/actual"
    assert data["conventions"]["rounding"] == "half_year"
    assert any("L441-10" in s for s in data["sources"])
    assert any("D441-5" in s for s in data["sources"])

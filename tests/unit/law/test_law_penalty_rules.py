"""Penalty rules beyond the worked examples: payments, credit notes, kinds, refusals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from relance.domain.money import money
from relance.law.conventions import Conventions
from relance.law.errors import InvalidInputError, MissingRateError
from relance.law.penalties import (
    NotComputable,
    NoticeDates,
    Settlement,
    compute_penalties,
    penalty_or_reason,
)
from relance.law.rates import HalfYear, RateEntry, load_shipped_rates

RATES = load_shipped_rates()


def b2b(amount="10000", due=date(2024, 3, 15), until=date(2024, 9, 30), **kw):
    return compute_penalties(amount=money(amount), due=due, until=until, kind="b2b",
                             rates=RATES, **kw)


def test_a_partial_payment_reduces_the_base_from_the_day_after_its_date():
    r = b2b(settlements=[Settlement(date(2024, 4, 30), money("4000")),
                         Settlement(date(2024, 9, 30), money("6000"))])
    # H1: 10000 x 46 days + 6000 x 61 days at 14.50 %; H2: 6000 x 92 days at 14.25 %.
    assert [(p.start, p.days, p.base, p.interest) for p in r.periods] == [
        (date(2024, 3, 16), 46, money("10000"), money("182.74")),
        (date(2024, 5, 1), 61, money("6000"), money("145.40")),
        (date(2024, 7, 1), 92, money("6000"), money("215.51")),
    ]
    assert r.interest == money("543.65")
    assert r.indemnity == money("40")  # one indemnity per invoice, not split
    assert r.principal_open == money(0) and r.amount_due == money("583.65")


def test_a_credit_note_reduces_the_base_like_a_payment():
    paid = b2b(settlements=[Settlement(date(2024, 4, 30), money("4000"))])
    credited = b2b(settlements=[Settlement(date(2024, 4, 30), money("4000"), "avoir")])
    assert paid.interest == credited.interest
    assert credited.principal_open == money("6000")


def test_when_the_payment_day_does_not_count_a_payment_reduces_the_base_that_same_day():
    r = b2b(settlements=[Settlement(date(2024, 4, 30), money("4000"))],
            conventions=Conventions(count_payment_day=False))
    assert [(p.start, p.end, p.base) for p in r.periods][:2] == [
        (date(2024, 3, 16), date(2024, 4, 29), money("10000")),
        (date(2024, 4, 30), date(2024, 6, 30), money("6000")),
    ]


def test_payment_on_or_before_the_due_date_gives_no_interest_and_no_indemnity():
    for paid_on in (date(2024, 3, 1), date(2024, 3, 15)):
        r = b2b(until=paid_on, settlements=[Settlement(paid_on, money("10000"))])
        assert (r.interest, r.indemnity, r.total, r.periods) == (money(0), money(0), money(0), ())


def test_an_invoice_paid_in_full_early_owes_nothing_even_when_asked_later():
    r = b2b(until=date(2026, 12, 31), settlements=[Settlement(date(2024, 3, 10), money("10000"))])
    assert r.total == money(0)  # and no rate is needed for 2026-H2, where nothing accrues


def test_a_payment_one_day_late_owes_the_40_euros():
    r = b2b(until=date(2024, 3, 16), settlements=[Settlement(date(2024, 3, 16), money("10000"))])
    assert r.indemnity == money("40") and r.days == 1
    r = b2b(until=date(2024, 3, 16), settlements=[Settlement(date(2024, 3, 16), money("10000"))],
            conventions=Conventions(count_payment_day=False))
    assert r.indemnity == money("40") and r.interest == money(0)


def test_a_contractual_rate_applies_but_never_below_three_times_the_legal_rate():
    low = b2b(contractual_rate=Decimal("5"))
    assert [str(p.rate) for p in low.periods] == ["15.21", "14.76"]
    assert any("plancher" in n for n in low.notes)
    high = b2b(contractual_rate=Decimal("20"))
    assert [str(p.rate) for p in high.periods] == ["20", "20"]
    later = b2b(due=date(2025, 9, 1), until=date(2025, 10, 1), contractual_rate=Decimal("9"))
    assert [str(p.rate) for p in later.periods] == ["9"]  # 3 x 2.76 = 8.28 < 9


def test_the_floor_on_the_default_rate_is_off_by_default():
    assert [str(p.rate) for p in b2b().periods] == ["14.50", "14.25"]


def test_public_buyers_pay_the_ecb_rate_of_the_starting_half_year_plus_8_for_the_whole_delay():
    r = compute_penalties(amount=money("1000"), due=date(2025, 6, 20), until=date(2025, 8, 19),
                          kind="public", rates=RATES)
    assert [(p.days, str(p.rate), str(p.interest)) for p in r.periods] == [
        (10, "11.15", "3.05"), (50, "11.15", "15.27")]
    assert r.indemnity == money("40")
    assert any("R2192-31" in s for s in r.sources)


def test_public_interest_started_before_a_missing_half_year_is_still_computed():
    r = compute_penalties(amount=money("1000"), due=date(2026, 6, 1), until=date(2026, 7, 15),
                          kind="public", rates=RATES)
    assert {str(p.rate) for p in r.periods} == {"10.15"}


def test_consumers_owe_nothing_before_a_formal_notice():
    r = compute_penalties(amount=money("1200"), due=date(2025, 1, 31), until=date(2025, 12, 31),
                          kind="b2c", rates=RATES)
    assert (r.interest, r.indemnity, r.periods) == (money(0), money(0), ())
    assert any("mise en demeure" in n for n in r.notes)


def test_consumers_are_never_charged_collection_costs():
    with pytest.raises(InvalidInputError, match="L111-8"):
        compute_penalties(amount=money("1200"), due=date(2025, 1, 31), until=date(2025, 6, 1),
                          kind="b2c", rates=RATES, notice_date=date(2025, 3, 1),
                          extra_costs=money("15"))


def test_b2b_justified_extra_costs_are_added_to_the_claim_but_not_to_the_interest():
    r = b2b(extra_costs=money("120"))
    assert r.total == money("784.25") + money("40") + money("120")


def test_penalty_computation_refuses_a_missing_half_year_with_the_french_message():
    with pytest.raises(MissingRateError) as caught:
        b2b(due=date(2026, 5, 1), until=date(2026, 8, 1))
    assert caught.value.half == HalfYear(2026, 2)
    assert "taux BCE" in caught.value.message
    assert "relance rates add 2026-H2" in caught.value.message


def test_a_consumer_claim_over_a_missing_half_year_names_the_legal_rate():
    with pytest.raises(MissingRateError, match="intérêt légal"):
        compute_penalties(amount=money("100"), due=date(2026, 5, 1), until=date(2026, 8, 1),
                          kind="b2c", rates=RATES, notice_date=date(2026, 5, 10))


def test_once_the_user_adds_the_missing_half_year_the_computation_runs():
    added = RATES.with_overrides([RateEntry.of("2026-H2", ecb="2", legal_private="6",
                                               legal_other="2.5", source="JORF")])
    r = compute_penalties(amount=money("1000"), due=date(2026, 6, 20), until=date(2026, 7, 10),
                          kind="b2b", rates=added)
    assert [str(p.rate) for p in r.periods] == ["12.15", "12"]
    assert "JORF" in r.sources


def test_the_daily_run_wrapper_returns_a_reason_instead_of_raising():
    got = penalty_or_reason(amount=money("100"), due=date(2026, 5, 1), until=date(2026, 8, 1),
                            kind="b2b", rates=RATES)
    assert isinstance(got, NotComputable) and got.missing_half == HalfYear(2026, 2)
    assert "relance rates add" in got.reason
    bad = penalty_or_reason(amount=money("-1"), due=date(2024, 5, 1), until=date(2024, 8, 1),
                            kind="b2b", rates=RATES)
    assert isinstance(bad, NotComputable) and bad.missing_half is None


def test_dates_before_2015_are_refused():
    with pytest.raises(InvalidInputError, match="2015"):
        b2b(due=date(2014, 12, 31), until=date(2015, 3, 1))


@pytest.mark.parametrize("field", ["amount", "settlement", "contractual_rate", "extra_costs"])
def test_negative_amounts_are_refused_in_french(field):
    kw = {"amount": money("100"), "due": date(2024, 5, 1), "until": date(2024, 8, 1),
          "kind": "b2b", "rates": RATES}
    if field == "amount":
        kw["amount"] = money("-100")
    elif field == "settlement":
        kw["settlements"] = [Settlement(date(2024, 6, 1), money("-5"))]
    elif field == "contractual_rate":
        kw["contractual_rate"] = Decimal("-1")
    else:
        kw["extra_costs"] = money("-1")
    with pytest.raises(InvalidInputError, match="négatif"):
        compute_penalties(**kw)


def test_inconsistent_dates_are_refused():
    with pytest.raises(InvalidInputError, match="précède l'échéance"):
        compute_penalties(amount=money("100"), due=date(2024, 5, 1), until=date(2024, 8, 1),
                          kind="b2c", rates=RATES, notice_date=date(2024, 4, 1))
    with pytest.raises(InvalidInputError, match="incohérentes"):
        NoticeDates(sent=date(2024, 5, 10), received=date(2024, 5, 2))
    with pytest.raises(InvalidInputError, match="sans heure"):
        b2b(until=datetime(2024, 9, 30, 12, 0))


def test_an_unknown_receipt_date_is_refused_under_the_receipt_convention():
    with pytest.raises(InvalidInputError, match="réception"):
        compute_penalties(amount=money("100"), due=date(2024, 5, 1), until=date(2024, 8, 1),
                          kind="b2c", rates=RATES, notice_date=NoticeDates(date(2024, 5, 10)))


def test_floats_are_never_accepted_as_amounts():
    with pytest.raises(TypeError):
        compute_penalties(amount=100.0, due=date(2024, 5, 1),  # type: ignore[arg-type]
                          until=date(2024, 8, 1), kind="b2b", rates=RATES)


def test_an_unknown_kind_or_convention_is_refused():
    with pytest.raises(InvalidInputError, match="inconnu"):
        compute_penalties(amount=money("1"), due=date(2024, 5, 1), until=date(2024, 8, 1),
                          kind="b2x", rates=RATES)
    with pytest.raises(InvalidInputError, match="day_count"):
        Conventions(day_count="30/360")  # type: ignore[arg-type]


def test_a_waiver_keeps_the_computed_figures_but_claims_nothing():
    r = b2b().waive(interest=True, indemnity=False)
    assert (r.interest, r.waived_interest, r.indemnity) == (money(0), money("784.25"), money(40))
    assert r.total == money("40") and r.to_json()["waived"]["interest"] == "784.25"


@pytest.mark.parametrize("rounding", ["half_year", "line", "total"])
def test_periods_always_add_up_to_the_interest(rounding):
    r = b2b(settlements=[Settlement(date(2024, 4, 30), money("3333.33")),
                         Settlement(date(2024, 5, 31), money("3333.33"))],
            conventions=Conventions(rounding=rounding, day_count="actual/actual"))
    assert sum(p.interest for p in r.periods) == r.interest


def test_rounding_once_on_the_total_can_differ_from_rounding_each_half_year_by_a_cent():
    # 107 EUR: 2 days at 14.50 % (0.0850...) and 3 days at 14.25 % (0.1253...).
    kw = {"amount": "107", "due": date(2024, 6, 28), "until": date(2024, 7, 3)}
    assert b2b(**kw).interest == money("0.22")
    assert b2b(**kw, conventions=Conventions(rounding="total")).interest == money("0.21")

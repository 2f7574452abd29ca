"""Prescription: 5 years B2B, 2 years consumers, 4 years public bodies; interruptions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.law.errors import InvalidInputError
from relance.law.prescription import (
    INTERRUPTING,
    Interruption,
    add_years,
    prescription_status,
)

INVOICE, DUE = date(2020, 2, 15), date(2020, 3, 15)


def b2b(today=date(2022, 1, 1), events=(), **kw):
    return prescription_status("b2b", invoice_date=INVOICE, due_date=DUE, today=today,
                               interruptions=list(events), **kw)


# Periods and starting points


def test_a_b2b_claim_is_prescribed_five_years_after_its_due_date():
    s = b2b()
    assert (s.start, s.expires, s.state) == (DUE, date(2025, 3, 15), "ok")
    assert s.interrupted_by is None and s.notes == ()
    assert "L110-4" in s.sources[0]


def test_a_consumer_claim_is_prescribed_two_years_after_the_invoice_date():
    s = prescription_status("b2c", invoice_date=date(2023, 3, 10), due_date=date(2023, 4, 9),
                            today=date(2024, 1, 1))
    assert (s.start, s.expires) == (date(2023, 3, 10), date(2025, 3, 10))
    assert "L218-2" in s.sources[0]


def test_a_consumer_claim_runs_from_the_date_the_creditor_knew_the_facts_when_given():
    s = prescription_status("b2c", invoice_date=date(2023, 3, 10), due_date=date(2023, 4, 9),
                            today=date(2024, 1, 1), known_date=date(2023, 6, 1))
    assert (s.start, s.expires) == (date(2023, 6, 1), date(2025, 6, 1))


@pytest.mark.parametrize("invoice", [date(2021, 1, 2), date(2021, 5, 10), date(2021, 12, 31)])
def test_a_public_body_claim_lapses_four_years_from_the_next_1_january(invoice):
    s = prescription_status("public", invoice_date=invoice, due_date=invoice, today=date(2024, 1, 1))
    assert s.expires == date(2025, 12, 31)
    assert "quadriennale" in s.sources[0]


def test_a_period_starting_on_29_february_ends_on_28_february():
    s = prescription_status("b2c", invoice_date=date(2024, 2, 29), due_date=date(2024, 3, 30),
                            today=date(2024, 6, 1))
    assert s.expires == date(2026, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


# Warning window and state


@pytest.mark.parametrize(("today", "state", "left"), [
    (date(2024, 12, 14), "ok", 91),
    (date(2024, 12, 15), "warning", 90),
    (date(2025, 3, 15), "warning", 0),
    (date(2025, 3, 16), "expired", -1),
])
def test_the_state_warns_within_the_window_and_expires_the_day_after_the_last_day(today, state,
                                                                                  left):
    s = b2b(today=today)
    assert (s.state, s.days_left) == (state, left)


def test_the_warning_window_can_be_widened():
    assert b2b(today=date(2024, 9, 1)).state == "ok"
    assert b2b(today=date(2024, 9, 1), horizon_days=365).state == "warning"


def test_each_state_has_a_french_message_with_the_date():
    assert b2b().message == "Action possible jusqu'au 15/03/2025 inclus."
    warning = b2b(today=date(2025, 3, 5)).message
    assert warning.startswith("Prescription le 15/03/2025 (dans 10 jours)")
    assert "reconnaissance de dette" in warning
    assert b2b(today=date(2025, 4, 1)).message == "Créance prescrite depuis le 16/03/2025."


# Interruptions


@pytest.mark.parametrize("kind", ["partial_payment", "payment_plan", "acknowledgement",
                                  "enforcement"])
def test_an_acknowledgement_of_the_debt_restarts_a_full_five_year_period(kind):
    event = Interruption(date(2023, 6, 1), kind)
    s = b2b(events=[event])
    assert s.expires == date(2028, 6, 1)
    assert s.interrupted_by == event
    assert "2240" in s.sources[1]


def test_a_partial_payment_restarts_two_years_against_a_consumer():
    s = prescription_status("b2c", invoice_date=date(2023, 3, 10), due_date=date(2023, 4, 9),
                            today=date(2024, 6, 1),
                            interruptions=[Interruption(date(2024, 1, 15), "partial_payment")])
    assert s.expires == date(2026, 1, 15)


def test_an_interruption_restarts_four_years_from_the_next_1_january_for_a_public_body():
    s = prescription_status("public", invoice_date=date(2021, 5, 10), due_date=date(2021, 6, 9),
                            today=date(2024, 1, 1),
                            interruptions=[Interruption(date(2023, 3, 1), "partial_payment")])
    assert s.expires == date(2027, 12, 31)


@pytest.mark.parametrize(("kind", "label"), [("formal_notice", "mise en demeure"),
                                             ("reminder", "relance")])
def test_a_formal_notice_or_a_reminder_does_not_interrupt(kind, label):
    s = b2b(events=[Interruption(date(2023, 6, 1), kind)])
    assert s.expires == date(2025, 3, 15) and s.interrupted_by is None
    assert s.notes == (f"{label} du 01/06/2023 : n'interrompt pas la prescription.",)


def test_an_acknowledgement_after_the_claim_is_prescribed_revives_nothing():
    s = b2b(today=date(2025, 6, 1), events=[Interruption(date(2025, 3, 16), "partial_payment")])
    assert (s.expires, s.state, s.interrupted_by) == (date(2025, 3, 15), "expired", None)
    assert "après la prescription" in s.notes[0]


def test_an_acknowledgement_on_the_last_day_still_interrupts():
    s = b2b(events=[Interruption(date(2025, 3, 15), "partial_payment")])
    assert s.expires == date(2030, 3, 15)


def test_a_payment_before_the_period_starts_has_no_effect():
    s = b2b(events=[Interruption(date(2020, 3, 1), "partial_payment")])
    assert s.expires == date(2025, 3, 15) and s.interrupted_by is None
    assert "antérieure au point de départ" in s.notes[0]


def test_the_latest_interruption_sets_the_date_whatever_the_order_given():
    events = [Interruption(date(2022, 9, 1), "payment_plan"),
              Interruption(date(2021, 4, 1), "partial_payment")]
    s = b2b(events=events)
    assert s.expires == date(2027, 9, 1)
    assert s.interrupted_by == events[0]
    assert b2b(events=list(reversed(events))) == s


def test_court_proceedings_suspend_the_date_until_they_end():
    filing = Interruption(date(2024, 1, 10), "court_filing")
    s = b2b(today=date(2026, 1, 1), events=[filing])
    assert (s.expires, s.state, s.days_left, s.interrupted_by) == (None, "suspended", None, filing)
    assert "2242" in s.message


def test_a_new_period_runs_from_the_end_of_court_proceedings():
    s = b2b(events=[Interruption(date(2023, 1, 10), "court_filing", ends=date(2024, 6, 30))])
    assert s.expires == date(2029, 6, 30)


def test_a_payment_during_court_proceedings_does_not_shorten_the_period_they_open():
    filing = Interruption(date(2023, 1, 10), "court_filing", ends=date(2025, 6, 30))
    s = b2b(events=[filing, Interruption(date(2023, 6, 1), "partial_payment")])
    assert s.expires == date(2030, 6, 30)
    assert s.interrupted_by == filing


def test_a_payment_during_running_proceedings_leaves_the_claim_suspended():
    s = b2b(events=[Interruption(date(2023, 1, 10), "court_filing"),
                    Interruption(date(2023, 6, 1), "partial_payment")])
    assert (s.expires, s.state) == (None, "suspended")
    assert "instance en cours" in s.notes[0]


def test_an_acknowledgement_after_court_proceedings_ended_restarts_from_itself():
    filing = Interruption(date(2023, 1, 10), "court_filing", ends=date(2023, 6, 30))
    payment = Interruption(date(2024, 2, 1), "partial_payment")
    s = b2b(events=[filing, payment])
    assert (s.expires, s.interrupted_by) == (date(2029, 2, 1), payment)


# Bad input


def test_an_unknown_event_is_refused_in_french():
    with pytest.raises(InvalidInputError, match="Événement inconnu : « phone_call »"):
        Interruption(date(2023, 1, 1), "phone_call")


def test_proceedings_cannot_end_before_they_start():
    with pytest.raises(InvalidInputError, match="Dates incohérentes"):
        Interruption(date(2023, 1, 10), "court_filing", ends=date(2023, 1, 9))


def test_a_due_date_before_the_invoice_date_is_refused():
    with pytest.raises(InvalidInputError, match="échéance précède"):
        prescription_status("b2b", invoice_date=DUE, due_date=INVOICE, today=DUE)


def test_an_unknown_debtor_kind_is_refused():
    with pytest.raises(InvalidInputError, match="Type de débiteur inconnu"):
        prescription_status("b2x", invoice_date=INVOICE, due_date=DUE, today=DUE)


# Properties

dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
kinds = st.sampled_from(["b2b", "b2c", "public"])


@given(kind=kinds, invoice=dates, delay=st.integers(0, 120), today=dates)
def test_the_state_agrees_with_the_days_left(kind, invoice, delay, today):
    s = prescription_status(kind, invoice_date=invoice, due_date=invoice + timedelta(delay),
                            today=today)
    assert s.expires is not None and s.expires > s.start
    assert s.days_left == (s.expires - today).days
    expected = "expired" if s.days_left < 0 else "warning" if s.days_left <= 90 else "ok"
    assert s.state == expected


@given(invoice=dates, offset=st.integers(0, 5 * 366))
def test_a_b2b_acknowledgement_within_the_period_gives_five_years_from_itself(invoice, offset):
    expiry = add_years(invoice, 5)
    on = min(invoice + timedelta(offset), expiry)
    s = prescription_status("b2b", invoice_date=invoice, due_date=invoice, today=invoice,
                            interruptions=[Interruption(on, "acknowledgement")])
    assert s.expires == add_years(on, 5)


@given(kind=kinds, invoice=dates,
       events=st.lists(st.tuples(dates, st.sampled_from([k for k in INTERRUPTING
                                                          if k != "court_filing"])),
                       max_size=4))
def test_interruptions_never_bring_the_date_forward(kind, invoice, events):
    def status(evts):
        return prescription_status(kind, invoice_date=invoice, due_date=invoice, today=invoice,
                                   interruptions=[Interruption(d, k) for d, k in evts])

    plain, interrupted = status([]), status(events)
    assert plain.expires is not None and interrupted.expires is not None
    assert interrupted.expires >= plain.expires
    if kind == "public":
        assert (interrupted.expires.month, interrupted.expires.day) == (12, 31)

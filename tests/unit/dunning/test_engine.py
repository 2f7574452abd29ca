"""The pure engine: which step each invoice reaches, grouping, and the courtesy guard."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.dunning.engine import ClientState, Guard, InvoiceState, plan
from relance.dunning.scenario import shipped_scenarios

STANDARD = next(s for s in shipped_scenarios() if s.name == "standard")
KEYS = [s.key for s in STANDARD.steps]
NOTICE = next(i for i, s in enumerate(STANDARD.steps) if s.required)
DUE = date(2026, 3, 16)
GUARD = Guard()


def inv(id_: int = 1, *, due: date = DUE, amount: str = "100.00", **kw) -> InvoiceState:
    return InvoiceState(id=id_, number=f"F{id_}", currency=kw.pop("currency", "EUR"), due=due,
                        open_amount=Decimal(amount), **kw)


def client(*invoices: InvoiceState, **kw) -> ClientState:
    return ClientState(id=1, ref="C1", kind=kw.pop("kind", "b2b"), invoices=invoices, **kw)


def on(offset: int) -> date:
    return DUE + timedelta(days=offset)


def steps_of(result) -> list[str]:
    return [a.step_key for a in result.actions]


def test_each_step_comes_on_its_offset_from_the_due_date():
    for index, step in enumerate(STANDARD.steps[:NOTICE]):
        day = on(step.offset)
        while not GUARD.business_day(day):
            day += timedelta(days=1)
        result = plan(client(inv(step_index=index - 1)), STANDARD, day, GUARD)
        assert steps_of(result) == [step.key]


def test_catch_up_gives_the_latest_step_due_not_every_missed_one():
    result = plan(client(inv(step_index=0)), STANDARD, on(30), GUARD)
    assert steps_of(result) == [STANDARD.steps[NOTICE - 1].key]


def test_the_required_formal_notice_is_never_skipped():
    result = plan(client(inv(step_index=1)), STANDARD, on(71), GUARD)
    assert steps_of(result) == [KEYS[NOTICE]]
    assert result.actions[0].needs_approval


def test_after_the_notice_the_next_step_waits_for_its_deadline():
    done = on(71)
    waiting = plan(client(inv(step_index=NOTICE, step_done_on=done)), STANDARD, on(76), GUARD)
    assert waiting.actions == [] and waiting.skips[0].code == "notice_deadline"
    later = plan(client(inv(step_index=NOTICE, step_done_on=done)), STANDARD, on(86), GUARD)
    assert steps_of(later) == [KEYS[NOTICE + 1]]


def test_invoices_at_the_same_step_share_one_message_and_recap_the_others():
    a, b = inv(1), inv(2, amount="50.00")
    older = inv(3, due=DUE - timedelta(days=20), step_index=2)
    result = plan(client(a, b, older), STANDARD, on(1), GUARD)
    assert len(result.actions) == 1
    action = result.actions[0]
    assert action.invoice_ids in ((1, 2), (3,))
    if action.invoice_ids == (1, 2):
        assert action.amount == Decimal("150.00") and 3 in action.recap_ids


def test_a_harsher_step_covers_only_the_invoices_that_reached_it():
    old = inv(1, due=DUE - timedelta(days=50), step_index=NOTICE - 1)
    new = inv(2, step_index=-1)
    result = plan(client(old, new), STANDARD, on(4), GUARD)
    assert [a.invoice_ids for a in result.actions] == [(1,)]
    assert result.actions[0].step_key == KEYS[NOTICE]
    assert {s.code for s in result.skips if s.invoice_id == 2} == {"guard_one_per_day"}


def test_two_currencies_make_two_messages_sent_on_two_days():
    result = plan(client(inv(1), inv(2, currency="USD")), STANDARD, on(1),
                  Guard(max_per_week=5, min_gap_days=0))
    assert [(a.currency, a.invoice_ids) for a in result.actions] == [("EUR", (1,))]
    assert [(s.invoice_id, s.code) for s in result.skips] == [(2, "guard_one_per_day")]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"legal_case": True}, "legal_case"),
    ({"do_not_contact": True}, "do_not_contact"),
    ({"hold_until": DUE + timedelta(days=10)}, "hold"),
    ({"late_cause": "dispute"}, "dispute"),
])
def test_client_level_pauses_each_have_their_reason(kwargs, code):
    result = plan(client(inv(), **kwargs), STANDARD, on(1), GUARD)
    assert result.actions == [] and [s.code for s in result.skips] == [code]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"disputed": True}, "dispute"),
    ({"promise_until": DUE + timedelta(days=5)}, "promise"),
    ({"plan_active": True}, "payment_plan"),
    ({"amount": "0.00"}, "paid"),
])
def test_invoice_level_pauses_each_have_their_reason(kwargs, code):
    result = plan(client(inv(**kwargs)), STANDARD, on(1), GUARD)
    assert result.actions == [] and [s.code for s in result.skips] == [code]


def test_a_broken_promise_resumes_at_the_next_step():
    result = plan(client(inv(step_index=1, promise_until=on(5))), STANDARD, on(8), GUARD)
    assert steps_of(result) == [KEYS[2]]


def test_no_contact_on_a_sunday_or_a_holiday():
    sunday = date(2026, 3, 22)
    result = plan(client(inv()), STANDARD, sunday, GUARD)
    assert result.actions == [] and result.skips[0].code == "guard_day"
    assert result.skips[0].until == date(2026, 3, 23)
    holiday = Guard(holidays=frozenset({date(2026, 3, 23)}))
    assert plan(client(inv()), STANDARD, date(2026, 3, 23), holiday).actions == []


def test_the_guard_limits_contacts_per_week_and_keeps_a_gap():
    recent = (on(-5),)
    gap = plan(client(inv(step_index=0), recent_contacts=recent), STANDARD, on(-4), GUARD)
    assert gap.actions == []
    week = plan(client(inv(step_index=1), recent_contacts=(on(2), on(5))), STANDARD, on(8),
                Guard(max_per_week=2, min_gap_days=1))
    assert week.actions == [] and week.skips[0].code == "guard_week"
    assert week.skips[0].until == on(9)


def test_only_the_clients_own_contact_channels_are_used():
    result = plan(client(inv(step_index=1), reachable=frozenset({"email"})), STANDARD, on(8),
                  GUARD)
    assert result.actions == [] and result.skips[0].code == "no_contact"
    letters = plan(client(inv(step_index=2), reachable=frozenset({"address"})), STANDARD,
                   on(16), GUARD)
    assert letters.actions[0].channels == ("letter",)


def test_bad_faith_goes_straight_to_the_formal_notice():
    result = plan(client(inv(), late_cause="bad_faith"), STANDARD, on(2), GUARD)
    assert steps_of(result) == [KEYS[NOTICE]]


def test_financial_difficulty_gets_a_payment_plan_offer_instead_of_an_escalation():
    done = on(45)
    result = plan(client(inv(step_index=NOTICE, step_done_on=done),
                         late_cause="financial_difficulty"), STANDARD, on(64), GUARD)
    action = result.actions[0]
    assert action.template == "proposition_echeancier" and action.substitute_for == KEYS[-1]
    assert not action.needs_approval


def test_a_notice_claiming_penalties_waits_when_a_rate_is_missing():
    result = plan(client(inv(step_index=NOTICE - 1,
                             penalties_missing="taux du semestre 2026-H2 manquant")),
                  STANDARD, on(46), GUARD)
    assert result.actions == [] and result.skips[0].code == "penalties"
    assert "2026-H2" in result.skips[0].reason


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-10, 120), st.integers(-1, len(KEYS) - 1)),
                min_size=1, max_size=6),
       st.integers(0, 200), st.integers(0, 3))
def test_every_open_invoice_gets_an_action_or_a_reason_and_at_most_one_contact_a_day(
        specs, day, recent):
    invoices = tuple(inv(i + 1, due=DUE - timedelta(days=d), step_index=s)
                     for i, (d, s) in enumerate(specs))
    today = DUE + timedelta(days=day)
    contacts = tuple(today - timedelta(days=k + 1) for k in range(recent))
    result = plan(client(*invoices, recent_contacts=contacts), STANDARD, today, GUARD)
    covered = [i for a in result.actions for i in a.invoice_ids] + [
        s.invoice_id for s in result.skips]
    assert sorted(covered) == sorted(i.id for i in invoices)
    assert sum(1 for a in result.actions if a.is_contact) <= 1
    for action in result.actions:
        for invoice_id in action.invoice_ids:
            state = next(i for i in invoices if i.id == invoice_id)
            assert action.step_index > state.step_index

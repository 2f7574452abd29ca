"""The pure dunning engine: `plan(client, scenario, today, guard) -> Plan`.

For one client on one day it decides which step each open invoice has reached, groups the
invoices that reach the same step in the same currency into one contact, and applies the
courtesy guard. It reads nothing and writes nothing: the run service gives it a snapshot and
stores what it returns. Every invoice that gets nothing gets a reason.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from relance.dunning.scenario import Conditions, Scenario, Step

ZERO = Decimal("0.00")
POSTAL_DAYS = 3  # a registered letter is taken as received three days after it is sent
# Channels a client must have a contact for; escalation is internal work, not a contact.
CONTACT_NEEDS = {"email": "email", "sms": "mobile", "call": "phone", "letter": "address",
                 "registered_letter": "address", "formal_notice": "address"}
_Shape = tuple[list[int], list[bool], "int | None"]


class InvoiceState(NamedTuple):
    """An open invoice as the engine sees it (a tuple: the run builds a million of them)."""

    id: int
    number: str
    currency: str
    due: dt.date
    open_amount: Decimal
    step_index: int = -1              # last step done in the client's scenario
    step_done_on: dt.date | None = None
    disputed: bool = False
    promise_until: dt.date | None = None
    plan_active: bool = False
    penalties_missing: str = ""       # why penalties cannot be computed (a rate is missing)
    notice_start: dt.date | None = None  # delivery (or first presentation) of the notice


@dataclass(frozen=True)
class ClientState:
    """A client and its open invoices on the run date."""

    id: int
    ref: str
    kind: str
    invoices: tuple[InvoiceState, ...]
    reachable: frozenset[str] = frozenset({"email", "phone", "address", "mobile"})
    risk_grade: str = "non noté"
    late_cause: str | None = None
    hold_until: dt.date | None = None
    hold_reason: str = ""
    do_not_contact: bool = False
    legal_case: bool = False
    no_calls: bool = False
    recent_contacts: tuple[dt.date, ...] = ()   # contact days before today (for the guard)


@dataclass(frozen=True)
class Guard:
    """Courtesy rules: contacts per 7 days, minimum gap, business days only."""

    max_per_week: int = 2
    min_gap_days: int = 3
    holidays: frozenset[dt.date] = frozenset()

    def business_day(self, day: dt.date) -> bool:
        """Monday to Friday, public holidays excepted."""
        return day.weekday() < 5 and day not in self.holidays

    def next_business_day(self, day: dt.date) -> dt.date:
        """The first business day after `day`."""
        day += dt.timedelta(days=1)
        while not self.business_day(day):
            day += dt.timedelta(days=1)
        return day


@dataclass(frozen=True)
class Action:
    """One contact (or internal escalation) for a client: a step, its channels, its invoices."""

    client_id: int
    step_key: str
    step_index: int
    label: str
    channels: tuple[str, ...]
    tone: str
    template: str
    currency: str
    invoice_ids: tuple[int, ...]
    amount: Decimal
    needs_approval: bool
    claims_penalties: bool
    deadline_days: int
    recap_ids: tuple[int, ...] = ()
    substitute_for: str = ""          # e.g. a payment-plan offer instead of an escalation

    @property
    def is_contact(self) -> bool:
        """Whether the guard counts it (an escalation alone is internal work)."""
        return any(c in CONTACT_NEEDS for c in self.channels)


class Skip(NamedTuple):
    """An open invoice that gets nothing today, and why (French).

    The most frequent reason is formatted only when read (`text` with `args`): a dry run over
    a million invoices decides much faster than it could print.
    """

    invoice_id: int
    code: str
    text: str
    until: dt.date | None = None
    args: tuple[object, ...] = ()

    @property
    def reason(self) -> str:
        """The reason in French."""
        return self.text.format(*self.args) if self.args else self.text


@dataclass
class Plan:
    """What the run does for one client today."""

    actions: list[Action] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


_PAYMENT_PLAN_OFFER = "proposition_echeancier"


def plan(client: ClientState, scenario: Scenario, today: dt.date, guard: Guard) -> Plan:
    """Decide today's actions for `client` following `scenario`, within the courtesy guard."""
    result = Plan()
    skips = result.skips
    paused = _client_pause(client, today)
    if paused is not None:
        code, text, until = paused
        for inv in client.invoices:
            if inv.open_amount <= ZERO:
                skips.append(Skip(inv.id, "paid", "Facture soldée."))
            else:
                skips.append(Skip(inv.id, code, text, until))
        return result
    overdue = sum((i.open_amount for i in client.invoices if i.due < today), ZERO)
    candidates: dict[tuple[int, str, str], list[InvoiceState]] = {}
    cache: dict[int, tuple[str, ...]] = {}
    memo: dict[tuple[int, int, bool], int] = {}
    shape = _shape(scenario)
    today_ord = today.toordinal()
    for inv in client.invoices:
        reached = _reached(client, inv, scenario, shape, today, today_ord, overdue, skips,
                           cache, memo)
        if reached is not None:
            index, channels = reached
            key = (index, inv.currency, ",".join(channels))
            candidates.setdefault(key, []).append(inv)
    actions = [_action(client, scenario, index, channels.split(","), invoices, today)
               for (index, _cur, channels), invoices in candidates.items()]
    actions.sort(key=lambda a: (-a.step_index, a.currency))
    _guard(client, actions, today, guard, result)
    return result


def _client_pause(client: ClientState, today: dt.date) -> tuple[str, str, dt.date | None] | None:
    """A pause that holds every invoice of the client: (code, French reason, until)."""
    if client.legal_case:
        return "legal_case", "Procédure judiciaire en cours : plus de relance amiable.", None
    if client.do_not_contact:
        return "do_not_contact", "Client à ne pas contacter.", None
    if client.hold_until is not None and today <= client.hold_until:
        return ("hold", f"En attente jusqu'au {client.hold_until:%d/%m/%Y}"
                + (f" : {client.hold_reason}" if client.hold_reason else "."), client.hold_until)
    if client.late_cause == "dispute":
        return "dispute", "Litige en cours : relances suspendues jusqu'à sa résolution.", None
    return None


def _pick(client: ClientState, steps: Sequence[Step], conditional: list[bool],
          notice_at: int | None, done: int, reached: int, overdue_now: bool,
          overdue: Decimal) -> int:
    """The step index to do among those due (-1: none applies); depends on the client only,
    so it is computed once per (last step done, steps reached) and client."""
    due_steps = list(range(done + 1, reached))
    if (client.late_cause == "bad_faith" and overdue_now and notice_at is not None
            and notice_at > done and notice_at not in due_steps):
        due_steps.append(notice_at)
    applicable = [i for i in due_steps if not conditional[i] or steps[i].conditions.allows(
        overdue=overdue, kind=client.kind, risk_grade=client.risk_grade,
        late_cause=client.late_cause)]
    if not applicable:
        return -1
    index = max(applicable)
    required = [i for i in applicable if steps[i].required and i < index]
    return min(required) if required else index  # a required step is never skipped


def _reached(client: ClientState, inv: InvoiceState, scenario: Scenario, shape: _Shape,
             today: dt.date, today_ord: int, overdue: Decimal, skips: list[Skip],
             cache: dict[int, tuple[str, ...]],
             memo: dict[tuple[int, int, bool], int]) -> tuple[int, tuple[str, ...]] | None:
    """The step this invoice is due for today with its usable channels, or None (a Skip)."""
    iid = inv.id
    if inv.open_amount <= ZERO:
        skips.append(Skip(iid, "paid", "Facture soldée."))
        return None
    if inv.disputed:
        skips.append(Skip(iid, "dispute", "Litige en cours : relances suspendues jusqu'à sa "
                          "résolution."))
        return None
    if inv.promise_until is not None and today <= inv.promise_until:
        skips.append(Skip(iid, "promise", f"Promesse de paiement jusqu'au "
                          f"{inv.promise_until:%d/%m/%Y}.", inv.promise_until))
        return None
    if inv.plan_active:
        skips.append(Skip(iid, "payment_plan", "Échéancier en cours et respecté."))
        return None
    steps = scenario.steps
    offsets, conditional, notice_at = shape
    done = inv.step_index
    if done >= 0 and inv.step_done_on is not None and steps[done].deadline_days:
        # The deadline runs from the letter's delivery when recorded, else from its sending
        # plus the usual postal delay.
        start = inv.notice_start or inv.step_done_on + dt.timedelta(days=POSTAL_DAYS)
        ends = start + dt.timedelta(days=steps[done].deadline_days)
        if today <= ends:
            skips.append(Skip(iid, "notice_deadline", f"Délai laissé par « {steps[done].label} "
                              f"» jusqu'au {ends:%d/%m/%Y}.", ends))
            return None
    late = today_ord - inv.due.toordinal()
    reached = bisect_right(offsets, late)  # steps 0..reached-1 are due
    if reached <= done + 1 and not (client.late_cause == "bad_faith" and late > 0
                                    and notice_at is not None and notice_at > done):
        if done + 1 >= len(steps):
            skips.append(Skip(iid, "finished", "Scénario terminé : aucune étape restante."))
        else:
            nxt = steps[done + 1]
            when = inv.due + dt.timedelta(days=nxt.offset)
            skips.append(Skip(iid, "waiting", "Prochaine étape « {0} » le {1:%d/%m/%Y}.",
                              when, (nxt.label, when)))
        return None
    key = (done, reached, late > 0)
    index = memo.get(key, -2)
    if index == -2:
        index = memo[key] = _pick(client, steps, conditional, notice_at, done, reached,
                                  late > 0, overdue)
    if index < 0:
        last = reached - 1 if reached > done + 1 else notice_at
        step = steps[last if last is not None else done + 1]
        skips.append(Skip(iid, "conditions", f"Étape « {step.label} » non applicable : "
                          f"{step.conditions.describe_fr()}."))
        return None
    step = steps[index]
    if step.claims_penalties and inv.penalties_missing:
        skips.append(Skip(iid, "penalties", f"« {step.label} » en attente : pénalités non "
                          f"calculables ({inv.penalties_missing})."))
        return None
    channels = cache.get(index)
    if channels is None:
        channels = cache[index] = _channels(client, step)
    if not channels:
        needed = ", ".join(step.channels)
        skips.append(Skip(iid, "no_contact", "Aucun contact du client pour le canal demandé "
                          f"({needed})."))
        return None
    return index, channels


_SHAPES: dict[int, tuple[Scenario, _Shape]] = {}


def _shape(scenario: Scenario) -> _Shape:
    """Step offsets, which steps have conditions, and the formal notice's index (memoised
    by identity: hashing a whole scenario per invoice would cost more than it saves)."""
    cached = _SHAPES.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1]
    empty = Conditions()
    shape = ([s.offset for s in scenario.steps],
             [s.conditions != empty for s in scenario.steps],
             next((i for i, s in enumerate(scenario.steps) if "formal_notice" in s.channels),
                  None))
    if len(_SHAPES) > 256:
        _SHAPES.clear()
    _SHAPES[id(scenario)] = (scenario, shape)
    return shape


def _channels(client: ClientState, step: Step) -> tuple[str, ...]:
    """The step's channels the client can be reached by (its own contacts only)."""
    usable = []
    for channel in step.channels:
        need = CONTACT_NEEDS.get(channel)
        if channel == "call" and client.no_calls:
            continue
        if need is None or need in client.reachable:
            usable.append(channel)
    if usable and all(c == "escalation" for c in usable) and not step.is_harsh:
        return ()
    return tuple(usable)


def _action(client: ClientState, scenario: Scenario, index: int, channels: Sequence[str],
            invoices: list[InvoiceState], today: dt.date) -> Action:
    step = scenario.steps[index]
    ids = tuple(sorted(i.id for i in invoices))
    recap = tuple(sorted(i.id for i in client.invoices
                         if i.id not in ids and i.due < today and i.open_amount > ZERO))
    amount = sum((i.open_amount for i in invoices), ZERO)
    if "escalation" in channels and client.late_cause == "financial_difficulty":
        return Action(client.id, step.key, index, "Proposition d'échéancier (difficultés "
                      "financières) au lieu d'une procédure", ("letter",) if "address" in
                      client.reachable else ("email",), "courteous", _PAYMENT_PLAN_OFFER,
                      invoices[0].currency, ids, amount, False, False, 0, recap,
                      substitute_for=step.key)
    return Action(client.id, step.key, index, step.label, tuple(channels), step.tone,
                  step.template, invoices[0].currency, ids, amount, step.approval,
                  step.claims_penalties, step.deadline_days, recap)


def _guard(client: ClientState, actions: list[Action], today: dt.date, guard: Guard,
           result: Plan) -> None:
    """Keep what the courtesy guard allows today; delay the rest with a reason."""
    if not actions:
        return
    def delay(action: Action, code: str, reason: str, until: dt.date | None) -> None:
        result.skips.extend(Skip(i, code, reason, until) for i in action.invoice_ids)

    if not guard.business_day(today):
        nxt = guard.next_business_day(today)
        for action in actions:
            delay(action, "guard_day", f"Jour non ouvré : « {action.label} » reportée au "
                  f"{nxt:%d/%m/%Y}.", nxt)
        return
    week = [d for d in client.recent_contacts if 0 < (today - d).days < 7]
    last = max(client.recent_contacts, default=None)
    contacts_left = guard.max_per_week - len(week)
    gap_ok = last is None or (today - last).days >= guard.min_gap_days
    contacted = False
    for action in actions:
        if not action.is_contact:
            result.actions.append(action)
            continue
        if contacted:
            delay(action, "guard_one_per_day", f"Une seule relance par jour : « {action.label} »"
                  " attend le prochain jour ouvré.", guard.next_business_day(today))
        elif not gap_ok:
            assert last is not None
            when = last + dt.timedelta(days=guard.min_gap_days)
            delay(action, "guard_gap", f"Garde de courtoisie : dernière relance le "
                  f"{last:%d/%m/%Y}, pas de nouvelle relance avant le {when:%d/%m/%Y}.", when)
        elif contacts_left <= 0:
            oldest = min(week)
            when = oldest + dt.timedelta(days=7)
            delay(action, "guard_week", f"Garde de courtoisie : déjà {len(week)} relance(s) "
                  f"sur 7 jours, reprise le {when:%d/%m/%Y}.", when)
        else:
            result.actions.append(action)
            contacted = True

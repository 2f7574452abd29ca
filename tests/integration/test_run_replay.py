"""A year of daily runs over a sample of the demo portfolio, and runs killed mid-way.

The year replay checks the history client by client against the scenario, the pauses and
the courtesy guard. The crash tests kill `relance run` at crash points chosen by a seeded
hook and with real SIGKILLs, run again, and compare with what an uninterrupted run does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from relance.adapters import tables as t
from relance.adapters.calendar_fr import french_holidays
from relance.demo.portfolio import Portfolio, PortfolioSpec
from relance.dunning.scenario import shipped_scenarios
from relance.services.ledger import invoice_rows
from relance.services.run import PROMISE_GRACE_DAYS, run

RELANCE = shutil.which("relance", path=str(Path(sys.executable).parent)) or "relance"
CONTACT_KINDS = ("reminder",)


def load_sample(relance, tmp_path: Path, clients: int, invoices: int) -> Portfolio:
    portfolio = Portfolio(PortfolioSpec(clients=clients, invoices=invoices))
    files = portfolio.write_csv(tmp_path)
    for kind in ("clients", "invoices", "payments"):
        relance("import", kind, str(files[kind]))
    return portfolio


def reminder_events(engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(
            select(t.events.c.client_id, t.events.c.kind, t.events.c.occurred_on,
                   t.events.c.data).where(t.events.c.kind.in_(
                       ("reminder", "escalation_proposed", "payment_plan_offer")))
            .order_by(t.events.c.occurred_on, t.events.c.id)))


def test_a_year_of_daily_runs_follows_the_scenario_pauses_and_guard(relance, creditor, engine,
                                                                     tmp_path):
    load_sample(relance, tmp_path, clients=16, invoices=160)
    start, end = date(2025, 7, 1), date(2026, 6, 30)
    with engine.connect() as conn:
        opened = invoice_rows(conn, 1, at=date(2025, 10, 1), overdue=True)
        refs = dict(conn.execute(select(t.clients.c.ref, t.clients.c.id)).all())
    disputed = opened[0]
    promising = next(r for r in opened if r.client_id != disputed.client_id)
    relance("disputes", "open", disputed.number, "--reason", "quantités erronées", "--date",
            "2025-10-01")
    relance("promises", "add", promising.client_ref, "--amount", "999999", "--by",
            "2025-10-20", "--date", "2025-10-02")
    relance("disputes", "resolve", disputed.number, "--date", "2026-01-15")
    day = start
    while day <= end:
        run(engine, day)
        day += timedelta(days=1)
    events = reminder_events(engine)
    assert len(events) > 50
    holidays = french_holidays([2025, 2026])
    standard = {s.name: s for s in shipped_scenarios()}
    per_client: dict[int, list[date]] = defaultdict(list)
    seen_steps: dict[tuple[str, str], date] = {}
    last_step: dict[str, str] = {}
    with engine.connect() as conn:
        for e in events:
            # Nothing goes out on a Saturday, Sunday or public holiday.
            assert e.occurred_on.weekday() < 5 and e.occurred_on not in holidays, e
            if e.kind == "reminder":
                per_client[e.client_id].append(e.occurred_on)
            scenario = standard[e.data["scenario"]]
            for number in e.data["invoices"]:
                # No invoice gets the same step twice, and steps only move forward.
                assert (number, e.data["step"]) not in seen_steps, (number, e.data)
                seen_steps[(number, e.data["step"])] = e.occurred_on
                # (a client whose grade changes changes scenario: compare within it)
                previous = last_step.get(number)
                if previous is not None:
                    keys = [s.key for s in scenario.steps]
                    if previous in keys:
                        assert e.data["step_index"] > keys.index(previous), (number, e.data)
                # The formal notice is never skipped: later steps come after it.
                notice = next(i for i, s in enumerate(scenario.steps) if s.required)
                if e.data["step_index"] > notice:
                    assert (number, scenario.steps[notice].key) in seen_steps
                last_step[number] = e.data["step"]
                # Nobody is chased for an invoice paid by then.
                row = next(r for r in invoice_rows(conn, 1, at=e.occurred_on,
                                                  include_settled=True,
                                                  client_id=e.client_id)
                           if r.number == number)
                assert row.open_amount > 0, (number, e.occurred_on)
                # The disputed invoice pauses while its dispute is open.
                if number == disputed.number:
                    assert not date(2025, 10, 1) <= e.occurred_on < date(2026, 1, 15)
    # Courtesy guard: at most two contacts per 7 days and 3 days between two contacts.
    for client_id, days in per_client.items():
        days.sort()
        for a, b in itertools.pairwise(days):
            assert (b - a).days >= 3, (client_id, a, b)
        for d in days:
            assert sum(1 for x in days if 0 <= (x - d).days < 7) <= 2
    # The promise paused its client, and its breaking resumed the dunning.
    paused = [d for d in per_client[refs[promising.client_ref]]
              if date(2025, 10, 2) <= d <= date(2025, 10, 20) + timedelta(PROMISE_GRACE_DAYS)]
    assert paused == []
    history = json.loads(relance("history", promising.client_ref, "--json").stdout)["events"]
    kinds = [(e["kind"], e["date"]) for e in history]
    broken = next(d for k, d in kinds if k == "promise_broken")
    assert broken == "2025-10-24"
    assert any(k == "reminder" and d > broken for k, d in kinds)


# --- crash safety ------------------------------------------------------------------------------


def cli(db_url: str, *args: str, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    environ["RELANCE_RUN_BATCH"] = "3"
    environ.update(env or {})
    return subprocess.run([RELANCE, "--db", db_url, *args], env=environ, capture_output=True,
                          text=True, timeout=300)


def expected_of(db_url: str, day: date) -> list[tuple[str, str, tuple[str, ...]]]:
    dry = cli(db_url, "run", "--date", day.isoformat(), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    return sorted((a["client"], a["step"], tuple(a["invoices"]))
                  for a in json.loads(dry.stdout)["actions"])


def written_on(engine, day: date) -> list[tuple[str, str, tuple[str, ...]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.clients.c.ref, t.events.c.data).join(
                t.clients, t.clients.c.id == t.events.c.client_id)
            .where(t.events.c.occurred_on == day, t.events.c.kind.in_(
                ("reminder", "escalation_proposed", "payment_plan_offer")))).all()
        outbox_keys = conn.execute(select(t.outbox.c.key).where(
            t.outbox.c.run_date == day)).scalars().all()
    assert len(outbox_keys) == len(set(outbox_keys))
    return sorted((r.ref, r.data["step"], tuple(r.data["invoices"])) for r in rows)


def business_days(start: date, count: int) -> list[date]:
    days, day = [], start
    holidays = french_holidays([start.year, start.year + 1])
    while len(days) < count:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_runs_killed_at_seeded_crash_points_then_rerun_write_exactly_once(
        relance, creditor, engine, db_url, tmp_path):
    load_sample(relance, tmp_path, clients=24, invoices=200)
    rng = random.Random(20261123)
    for day in business_days(date(2026, 2, 2), 6):
        expected = expected_of(db_url, day)
        points = 2 * (24 // 3 + 1)
        crash_at = rng.randint(1, points)
        crashed = cli(db_url, "run", "--date", day.isoformat(),
                      env={"RELANCE_TEST_CRASH_AT": str(crash_at)})
        assert crashed.returncode in (86, 0), crashed.stderr
        again = cli(db_url, "run", "--date", day.isoformat())
        assert again.returncode == 0, again.stderr
        assert written_on(engine, day) == expected, (day, crash_at)
        third = cli(db_url, "run", "--date", day.isoformat(), "--json")
        assert json.loads(third.stdout)["actions"] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_runs_killed_by_a_real_sigkill_then_rerun_write_exactly_once(
        relance, creditor, engine, db_url, tmp_path, seed):
    load_sample(relance, tmp_path, clients=40, invoices=400)
    rng = random.Random(seed)
    day = business_days(date(2026, 3, 2), 1 + seed)[-1]
    expected = expected_of(db_url, day)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    environ["RELANCE_RUN_BATCH"] = "2"
    proc = subprocess.Popen([RELANCE, "--db", db_url, "run", "--date", day.isoformat()],
                            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.3, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    again = cli(db_url, "run", "--date", day.isoformat())
    assert again.returncode == 0, again.stderr
    assert written_on(engine, day) == expected

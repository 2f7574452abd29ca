"""The pure reliability core: behaviour figures, warning-sign rules, every score factor, the
grade, the policy and the alerts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.risk.behaviour import Commitments, InvoiceFact, behaviour
from relance.risk.score import GRADES, Limits, ObservedSign, grade_of, policy, score
from relance.risk.signs import (
    SIGN_KINDS,
    PromiseFact,
    billed_elsewhere,
    financial_keywords,
    is_young,
    postponements,
)

AT = date(2026, 11, 23)


def paid(due: date, late_days: int, amount: str = "1000.00",
         issued: date | None = None) -> InvoiceFact:
    return InvoiceFact(issued or due - timedelta(days=30), due, D(amount), D("0.00"),
                       due + timedelta(days=late_days))


def open_(due: date, amount: str = "500.00", issued: date | None = None) -> InvoiceFact:
    return InvoiceFact(issued or due - timedelta(days=30), due, D(amount), D(amount), None)


def good_history(n: int = 8) -> list[InvoiceFact]:
    return [paid(AT - timedelta(days=40 * (i + 1)), 0) for i in range(n)]


def factor(s, key):
    found = [f for f in s.factors if f.key == key]
    return found[0] if found else None


# --- behaviour -------------------------------------------------------------------------------

def test_behaviour_figures_are_point_in_time_and_weighted_by_amount():
    facts = [paid(date(2026, 9, 1), 0, "100.00"), paid(date(2026, 10, 1), 30, "900.00"),
             open_(date(2026, 11, 1), "400.00"), open_(date(2026, 12, 15), "200.00")]
    b = behaviour(facts, AT)
    assert (b.invoices, b.paid, b.paid_late) == (4, 2, 1)
    assert b.late_share == D("0.50")
    assert b.avg_days_late == D("15.0")
    assert b.weighted_days_late == D("27.0")          # (100×0 + 900×30) / 1000
    assert b.open_amount == D("600.00") and b.overdue_amount == D("400.00")
    assert b.oldest_overdue_days == 22 and b.first_unpaid_due == date(2026, 11, 1)
    assert b.longest_delay == 30


def test_client_dso_is_receivables_over_last_90_days_sales():
    facts = [open_(AT + timedelta(days=10), "900.00", issued=AT - timedelta(days=20)),
             paid(AT - timedelta(days=10), 0, "900.00", issued=AT - timedelta(days=40))]
    b = behaviour(facts, AT)
    assert b.dso == D("45.0")                          # 900 / 1800 × 90
    assert behaviour([], AT).dso is None


def test_trend_compares_the_last_3_months_with_the_year():
    older = [paid(AT - timedelta(days=200 + 20 * i), 0) for i in range(4)]
    recent = [paid(AT - timedelta(days=30 + 10 * i), 20) for i in range(3)]
    assert behaviour(older + recent, AT).trend == "dégradation"
    older_late = [paid(AT - timedelta(days=200 + 20 * i), 30) for i in range(4)]
    recent_ok = [paid(AT - timedelta(days=30 + 10 * i), 0) for i in range(3)]
    assert behaviour(older_late + recent_ok, AT).trend == "amélioration"
    assert behaviour(recent_ok, AT).trend == ""       # nothing to compare with


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 120),
                          st.integers(1, 10**6)), max_size=30))
def test_shares_stay_between_bounds(rows):
    facts = [paid(AT - timedelta(days=d + 1), min(late, d), f"{cents / 100:.2f}")
             for d, late, cents in rows]
    b = behaviour(facts, AT)
    assert D(0) <= b.late_share <= D(1)
    assert b.weighted_days_late <= b.longest_delay
    assert b.paid == len(rows)


# --- warning-sign rules ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Le gérant évoque des difficultés passagères", "difficultés"),
    ("problème de trésorerie ce mois-ci", "trésorerie"),
    ("ils sont en REDRESSEMENT judiciaire", "redressement"),
    ("procédure de sauvegarde ouverte", "sauvegarde"),
    ("liquidation en vue", "liquidation"),
    ("On attend un virement de notre client", "on attend un virement"),
    ("nous attendons le règlement de la banque", "on attend un virement"),
    ("dépôt de bilan envisagé", "dépôt de bilan"),
    ("nos clients ne paient pas en ce moment", "nos clients ne paient pas"),
])
def test_financial_difficulty_keywords(text, expected):
    assert expected in financial_keywords(text)


@pytest.mark.parametrize("text", [
    "Facture bien reçue, paiement prévu le 15.",
    "Sauvegarde du fichier faite",                  # not a "procédure de sauvegarde"
    "Difficultés techniques avec le portail",       # not financial
])
def test_ordinary_notes_raise_no_sign(text):
    assert financial_keywords(text) == ()


def test_postponing_counts_broken_and_pushed_back_promises():
    promises = [PromiseFact(date(2026, 9, 1), date(2026, 9, 15), "broken", date(2026, 9, 19)),
                PromiseFact(date(2026, 10, 1), date(2026, 10, 10), "open"),
                PromiseFact(date(2026, 10, 8), date(2026, 10, 30), "open")]
    found = postponements(promises, AT)
    assert [d for d, _ in found] == [date(2026, 9, 19), date(2026, 10, 8)]
    assert "repoussée au 30/10/2026" in found[1][1]
    # a kept promise is no postponement, and old ones fall out of the 12 months
    assert postponements([PromiseFact(date(2026, 9, 1), date(2026, 9, 15), "kept",
                                      date(2026, 9, 15))], AT) == []
    assert postponements([PromiseFact(date(2024, 9, 1), date(2024, 9, 15), "broken",
                                      date(2024, 9, 19))], AT) == []


def test_young_company_and_invoicing_another_company():
    assert is_young(date(2025, 1, 1), AT) and not is_young(date(2023, 11, 22), AT)
    assert not is_young(None, AT)
    assert billed_elsewhere("552032534", "732829320")
    assert not billed_elsewhere("552032534", "552032534")
    assert not billed_elsewhere("", "732829320")   # a consumer has no SIREN to compare


# --- score factors ---------------------------------------------------------------------------

def test_a_client_paying_on_time_with_history_gets_a():
    s = score(behaviour(good_history(), AT), ())
    assert (s.score, s.grade, s.factors) == (100, "A", ())
    assert s.policy.deposit_percent == 0 and s.policy.max_term_days == 60


@pytest.mark.parametrize("n, points", [(0, -25), (1, -10), (2, -10), (3, -5), (5, -5), (6, 0)])
def test_history_length_factor(n, points):
    f = factor(score(behaviour(good_history(n), AT), ()), "history")
    assert (f.points if f else 0) == points


def test_late_share_and_average_delay_factors():
    facts = good_history(4) + [paid(AT - timedelta(days=30 * i), 30) for i in range(1, 5)]
    s = score(behaviour(facts, AT), ())
    assert factor(s, "late_share").points == -13          # 50 % × 25 = 12.5, half up
    assert factor(s, "late_share").text.startswith("50 % des factures réglées l'ont été en retard")
    assert factor(s, "days_late").points == -5            # 15 days weighted ÷ 3
    assert factor(s, "longest_delay") is None             # 30 days is not beyond 30


@pytest.mark.parametrize("days, points", [(31, -3), (61, -6), (91, -10)])
def test_longest_delay_factor(days, points):
    s = score(behaviour([*good_history(), paid(AT - timedelta(days=200), days)], AT), ())
    assert factor(s, "longest_delay").points == points


@pytest.mark.parametrize("late, points", [(1, -2), (31, -6), (61, -10), (91, -15)])
def test_overdue_now_factor(late, points):
    s = score(behaviour([*good_history(), open_(AT - timedelta(days=late), "750.00")], AT), ())
    f = factor(s, "overdue")
    assert f.points == points
    assert "750,00\xa0€ échus impayés" in f.text


def test_commitment_factors_say_how_many_and_what_they_cost():
    b = behaviour(good_history(), AT, Commitments(promises_broken=3, promises_kept=1,
                                                  plans_broken=1, plans_completed=1,
                                                  disputes_12m=2))
    s = score(b, ())
    texts = {f.key: f.text for f in s.factors}
    assert texts["promises_broken"] == "3 promesses non tenues : −15"
    assert texts["promises_kept"] == "1 promesse tenue : +2"
    assert texts["plans_broken"] == "1 échéancier non respecté : −10"
    assert texts["plans_completed"] == "1 échéancier honoré : +3"
    assert texts["disputes"] == "2 litiges ouverts sur 12 mois : −6"
    assert s.score == 100 - 15 + 2 - 10 + 3 - 6


def test_trend_factor():
    older = [paid(AT - timedelta(days=200 + 20 * i), 0) for i in range(6)]
    recent = [paid(AT - timedelta(days=30 + 10 * i), 20) for i in range(3)]
    assert factor(score(behaviour(older + recent, AT), ()), "trend").points == -5


@pytest.mark.parametrize("kind", sorted(SIGN_KINDS))
def test_each_warning_sign_costs_its_points(kind):
    s = score(behaviour(good_history(), AT), [ObservedSign(kind, AT - timedelta(days=3))])
    f = factor(s, f"sign:{kind}")
    assert f.points == -SIGN_KINDS[kind].points
    assert SIGN_KINDS[kind].label in f.text and "20/11/2026" in f.text


def test_repeated_financial_difficulties_weigh_more():
    once = [ObservedSign("financial_difficulties", AT - timedelta(days=10))]
    twice = [*once, ObservedSign("financial_difficulties", AT - timedelta(days=40))]
    b = behaviour(good_history(), AT)
    assert factor(score(b, once), "sign:financial_difficulties").points == -8
    f = factor(score(b, twice), "sign:financial_difficulties")
    assert f.points == -15 and "(2 fois en 12 mois)" in f.text


def test_a_sign_observed_after_the_date_does_not_count():
    s = score(behaviour(good_history(), AT), [ObservedSign("deposit_refused",
                                                           AT + timedelta(days=1))])
    assert s.score == 100


@pytest.mark.parametrize("kind", ["closed", "collective_proceedings", "over_indebtedness"])
def test_closed_or_insolvent_companies_are_graded_e(kind):
    s = score(behaviour(good_history(), AT), [ObservedSign(kind, AT)])
    assert s.grade == "E" and s.score == 50
    assert factor(s, "grade_cap") is not None
    assert s.policy.deposit_percent == 100 and s.policy.max_term_days == 0


def test_grades_and_policy_per_grade():
    assert [grade_of(v) for v in (100, 80, 79, 65, 64, 50, 49, 35, 34, 0)] == \
        ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]
    b = behaviour([paid(AT - timedelta(days=30 * i), 0, "1200.00", issued=AT - timedelta(
        days=30 * i + 30)) for i in range(1, 11)], AT)
    assert b.sales_12m == D("12000.00")
    limits = [policy(g, b).credit_limit for g in GRADES]
    assert limits == [D("3000.00"), D("2000.00"), D("1000.00"), D("500.00"), D("0.00")]
    assert policy("D", b).scenario_tone == "renforcé"
    assert "acompte de 50 % à la commande" in policy("D", b).text.lower()


def test_credit_limit_and_insurance_alerts():
    b = behaviour([*good_history(), open_(AT - timedelta(days=50), "12000.00")], AT)
    s = score(b, (), Limits(credit_limit=D("10000.00"), insured_limit=D("8000.00"),
                            insurer="Allianz Trade", declare_within_days=60))
    assert any("au-delà de la limite de crédit de 10\u202f000,00\xa0€" in a for a in s.alerts)
    assert any("4\u202f000,00\xa0€ ne sont pas assurés" in a for a in s.alerts)
    deadline = [a for a in s.alerts if "Menace de sinistre" in a]
    assert deadline and "avant le 3 décembre 2026 (10 jours)" in deadline[0]
    late = score(behaviour([open_(AT - timedelta(days=70), "100.00")], AT),
                 (), Limits(declare_within_days=60))
    assert any("dépassé depuis le 13 novembre 2026" in a for a in late.alerts)
    assert score(b, (), Limits(credit_limit=D("20000.00"))).alerts == ()


def test_score_is_bounded():
    b = behaviour([open_(AT - timedelta(days=200), "9000.00")], AT,
                  Commitments(promises_broken=9, plans_broken=4, disputes_12m=9))
    signs = [ObservedSign(k, AT) for k in SIGN_KINDS]
    s = score(b, signs)
    assert s.score == 0 and s.grade == "E"

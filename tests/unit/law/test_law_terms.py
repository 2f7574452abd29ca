"""Payment terms: reading French wordings, due dates, and the legal caps (L441-10, L441-11, CCP)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.law.errors import InvalidInputError, LawError, TermsError
from relance.law.terms import PaymentTerms, check_terms_caps, max_delay, parse_terms

JAN_15 = date(2024, 1, 15)
issue_dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


def codes(text, kind="b2b", sector=None, **kw):
    return [w.code for w in check_terms_caps(parse_terms(text, **kw), kind, sector)]


# Reading the wording


@pytest.mark.parametrize(("text", "kind", "days", "dom"), [
    ("30 jours", "net", 30, None),
    ("30 j", "net", 30, None),
    ("30j net", "net", 30, None),
    ("Paiement à 30 jours", "net", 30, None),
    ("60 jours date de facture", "net", 60, None),
    ("60 jours à compter de la date d'émission de la facture", "net", 60, None),
    ("45 jours fin de mois", "days_then_eom", 45, None),
    ("45 jours FDM", "days_then_eom", 45, None),
    ("45 jours f.d.m.", "days_then_eom", 45, None),
    ("fin de mois 45 jours", "eom_then_days", 45, None),
    ("fin de mois + 45 jours", "eom_then_days", 45, None),
    ("30 jours fin de mois le 10", "days_then_eom", 30, 10),
    ("30 jours fin de mois, le 10", "days_then_eom", 30, 10),
    ("fin de mois", "days_then_eom", 0, None),
    ("fin de mois le 15", "days_then_eom", 0, 15),
    ("à réception", "on_receipt", 0, None),
    ("A RÉCEPTION DE FACTURE", "on_receipt", 0, None),
    ("dès réception", "on_receipt", 0, None),
    ("comptant", "cash", 0, None),
    ("Paiement comptant", "cash", 0, None),
])
def test_common_french_wordings_are_read_as_the_expected_term(text, kind, days, dom):
    terms = parse_terms(text)
    assert (terms.kind, terms.days, terms.day_of_month) == (kind, days, dom)
    assert terms.text == text


def test_the_chosen_end_of_month_method_applies_to_n_jours_fin_de_mois():
    terms = parse_terms("45 jours fin de mois", eom_method="eom_then_days")
    assert terms.kind == "eom_then_days"


def test_fin_de_mois_written_first_means_end_of_month_then_days_whatever_the_method():
    assert parse_terms("fin de mois 45 jours", eom_method="days_then_eom").kind == "eom_then_days"


def test_extra_spaces_between_words_do_not_stop_the_wording_being_read():
    assert parse_terms("45  jours   fin  de\tmois").kind == "days_then_eom"
    assert parse_terms("30 jours fin de mois  le  10").day_of_month == 10


@pytest.mark.parametrize("text", ["quand vous voulez", "", "jours", "30 jours le 10",
                                  "30,5 jours", "30 jours date de réception", "90 semaines"])
def test_unreadable_terms_raise_terms_error_with_a_french_message(text):
    with pytest.raises(TermsError) as caught:
        parse_terms(text)
    assert caught.value.message.startswith("Conditions de paiement illisibles : « ")
    assert f"« {text} »" in caught.value.message
    assert "« 45 jours fin de mois »" in caught.value.message  # shows accepted examples
    assert isinstance(caught.value, LawError)


@pytest.mark.parametrize("text", ["366 jours", "30 jours fin de mois le 0",
                                  "30 jours fin de mois le 32", "fin de mois le 00"])
def test_implausible_numbers_raise_terms_error_rather_than_a_crash(text):
    with pytest.raises(TermsError, match="invraisemblables"):
        parse_terms(text)


def test_a_full_year_is_still_accepted_as_a_term():
    assert parse_terms("365 jours").days == 365


def test_an_unknown_end_of_month_method_is_refused_in_french():
    with pytest.raises(InvalidInputError, match="Méthode fin de mois inconnue"):
        parse_terms("45 jours fin de mois", eom_method="whatever")


# Due dates


@pytest.mark.parametrize(("text", "method", "issue", "due"), [
    ("30 jours", "days_then_eom", JAN_15, date(2024, 2, 14)),
    ("60 jours date de facture", "days_then_eom", JAN_15, date(2024, 3, 15)),
    # 15 Jan + 45 days = 29 Feb 2024, end of that month = 29 Feb.
    ("45 jours fin de mois", "days_then_eom", JAN_15, date(2024, 2, 29)),
    # End of January + 45 days = 16 March 2024.
    ("45 jours fin de mois", "eom_then_days", JAN_15, date(2024, 3, 16)),
    # Non-leap year: 15 Jan 2023 + 45 days = 1 March, end of that month = 31 March.
    ("45 jours fin de mois", "days_then_eom", date(2023, 1, 15), date(2023, 3, 31)),
    ("45 jours fin de mois", "eom_then_days", date(2023, 1, 15), date(2023, 3, 17)),
    ("fin de mois 45 jours", "days_then_eom", JAN_15, date(2024, 3, 16)),
    ("fin de mois", "days_then_eom", JAN_15, date(2024, 1, 31)),
    # 15 Jan + 30 = 14 Feb, end of month 29 Feb, then the 10th of the next month.
    ("30 jours fin de mois le 10", "days_then_eom", JAN_15, date(2024, 3, 10)),
    ("fin de mois le 15", "days_then_eom", JAN_15, date(2024, 2, 15)),
    ("à réception", "days_then_eom", JAN_15, JAN_15),
    ("comptant", "days_then_eom", JAN_15, JAN_15),
])
def test_the_due_date_follows_from_the_issue_date(text, method, issue, due):
    assert parse_terms(text, eom_method=method).due_date(issue) == due


def test_a_day_of_month_past_the_end_of_a_short_month_becomes_its_last_day():
    # 10 Dec 2023 + 30 = 9 Jan 2024, end of January, then "le 31" of February: 29 Feb.
    terms = parse_terms("30 jours fin de mois le 31")
    assert terms.due_date(date(2023, 12, 10)) == date(2024, 2, 29)


def test_due_dates_cross_the_year_end():
    assert parse_terms("45 jours fin de mois").due_date(date(2024, 12, 10)) == date(2025, 1, 31)
    assert parse_terms("30 jours").due_date(date(2024, 12, 10)) == date(2025, 1, 9)


@given(issue=issue_dates, days=st.integers(0, 365))
def test_net_terms_fall_exactly_that_many_days_after_the_invoice(issue, days):
    assert PaymentTerms("net", days).due_date(issue) - issue == timedelta(days=days)


@given(issue=issue_dates, days=st.integers(0, 120))
def test_days_then_end_of_month_is_the_last_day_of_the_month_where_the_days_run_out(issue, days):
    due = PaymentTerms("days_then_eom", days).due_date(issue)
    expiry = issue + timedelta(days=days)
    assert (due.year, due.month) == (expiry.year, expiry.month)
    assert due.day == calendar.monthrange(due.year, due.month)[1]


@given(issue=issue_dates, days=st.integers(0, 120))
def test_end_of_month_then_days_counts_the_days_from_the_last_day_of_the_invoice_month(issue,
                                                                                     days):
    due = PaymentTerms("eom_then_days", days).due_date(issue)
    month_end = issue.replace(day=calendar.monthrange(issue.year, issue.month)[1])
    assert due - month_end == timedelta(days=days)


@given(issue=issue_dates, days=st.integers(0, 120), dom=st.integers(1, 31))
def test_a_day_of_month_term_falls_on_that_day_of_the_month_after_the_end_of_month(issue, days,
                                                                                    dom):
    plain = PaymentTerms("days_then_eom", days).due_date(issue)
    due = PaymentTerms("days_then_eom", days, dom).due_date(issue)
    assert due > plain
    assert (due.year * 12 + due.month) - (plain.year * 12 + plain.month) == 1
    assert due.day == min(dom, calendar.monthrange(due.year, due.month)[1])


@given(issue=issue_dates, days=st.integers(0, 120))
def test_both_end_of_month_methods_give_at_least_the_stated_days_after_the_invoice(issue,
                                                                                   days):
    for kind in ("days_then_eom", "eom_then_days"):
        assert PaymentTerms(kind, days).due_date(issue) >= issue + timedelta(days=days)


# Describing the term in French


def test_the_french_description_states_which_end_of_month_method_is_used():
    first = parse_terms("45 jours fin de mois").describe_fr()
    second = parse_terms("45 jours fin de mois", eom_method="eom_then_days").describe_fr()
    assert "dernier jour du mois au cours duquel expire un délai de 45 jours" in first
    assert "45 jours après la fin du mois d'émission" in second
    assert parse_terms("30 jours fin de mois le 10").describe_fr().endswith(
        "payable le 10 du mois suivant")
    assert parse_terms("60 jours").describe_fr() == (
        "à 60 jours à compter de la date d'émission de la facture")
    assert parse_terms("à réception").describe_fr() == "à réception de la facture"


# Legal caps


def test_the_longest_delay_of_a_term_is_measured_over_every_issue_day():
    assert max_delay(parse_terms("60 jours")) == 60
    # 45 days then end of month: at most 45 + 30 days (issue on the 1st of a 31-day month).
    assert max_delay(parse_terms("45 jours fin de mois")) == 75
    assert max_delay(parse_terms("à réception")) == 0


@pytest.mark.parametrize("text", ["à réception", "comptant", "30 jours", "60 jours",
                                  "60 jours date de facture", "45 jours fin de mois",
                                  "fin de mois 45 jours", "fin de mois"])
def test_terms_within_the_b2b_caps_give_no_warning(text):
    assert codes(text) == []


def test_45_days_end_of_month_is_lawful_under_either_computation_method():
    assert codes("45 jours fin de mois", eom_method="eom_then_days") == []
    assert codes("45 jours fin de mois", eom_method="days_then_eom") == []


@pytest.mark.parametrize("text", ["61 jours", "90 jours", "46 jours fin de mois",
                                  "60 jours fin de mois", "fin de mois 60 jours",
                                  "45 jours fin de mois le 10"])
def test_terms_beyond_60_days_or_45_days_end_of_month_are_flagged(text):
    assert codes(text) == ["b2b_cap"]


def test_a_b2b_cap_warning_is_a_french_value_with_the_figures_and_the_source():
    [warning] = check_terms_caps(parse_terms("90 jours"), "b2b")
    assert warning.limit_days == 60 and warning.max_days == 90
    assert "« 90 jours »" in warning.message
    assert "60 jours" in warning.message and "45 jours fin de mois" in warning.message
    assert "L441-10" in warning.source


def test_transport_is_capped_at_30_days_from_the_invoice():
    assert codes("30 jours", sector="transport") == []
    [warning] = check_terms_caps(parse_terms("45 jours"), "b2b", "transport")
    assert (warning.code, warning.limit_days, warning.max_days) == ("transport_cap", 30, 45)
    assert "transport" in warning.message
    # 30 days end of month can run up to 61 days: both the transport and the B2B cap.
    assert codes("30 jours fin de mois", sector="transport") == ["transport_cap"]
    assert codes("90 jours", sector="transport") == ["transport_cap", "b2b_cap"]


def test_perishable_food_is_capped_at_30_days():
    assert codes("30 jours", sector="perishable_food") == []
    assert codes("31 jours", sector="perishable_food") == ["perishable_cap"]


def test_periodic_invoices_are_capped_at_45_days():
    terms = parse_terms("50 jours")
    assert [w.code for w in check_terms_caps(terms, "b2b", periodic=True)] == ["periodic_cap"]
    assert check_terms_caps(parse_terms("45 jours"), "b2b", periodic=True) == []
    assert check_terms_caps(terms, "b2b") == []


@pytest.mark.parametrize(("sector", "limit"), [(None, 30), ("authority", 30), ("health", 50),
                                               ("public_company", 60)])
def test_public_buyers_have_their_own_payment_period(sector, limit):
    assert codes(f"{limit} jours", "public", sector) == []
    [warning] = check_terms_caps(parse_terms(f"{limit + 1} jours"), "public", sector)
    assert (warning.code, warning.limit_days) == ("public_cap", limit)
    assert "acheteur public" in warning.message and "R2192" in warning.source


def test_consumer_terms_are_not_subject_to_the_b2b_caps():
    assert codes("120 jours", "b2c") == []


@pytest.mark.parametrize(("kind", "sector", "match"), [
    ("b2x", None, "Type de débiteur inconnu"),
    ("b2b", "mining", "Secteur inconnu"),
    ("public", "transport", "Acheteur public inconnu"),
])
def test_an_unknown_debtor_kind_or_sector_is_refused_in_french(kind, sector, match):
    with pytest.raises(InvalidInputError, match=match):
        check_terms_caps(parse_terms("30 jours"), kind, sector)


@given(days=st.integers(0, 365))
def test_a_net_term_is_flagged_for_b2b_exactly_when_it_exceeds_60_days(days):
    flagged = check_terms_caps(PaymentTerms("net", days), "b2b") != []
    assert flagged == (days > 60)

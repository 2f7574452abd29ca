"""Business calendar: French holidays (adapter), jours ouvrés and ouvrables, deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.adapters.calendar_fr import french_holidays, holiday_names
from relance.law.calendar import (
    Delay,
    add_business_days,
    add_months,
    business_days_between,
    deadline,
    is_business_day,
    next_business_day,
    parse_delay,
)
from relance.law.errors import InvalidInputError

HOLIDAYS_2026 = {
    date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14),
    date(2026, 5, 25), date(2026, 7, 14), date(2026, 8, 15), date(2026, 11, 1),
    date(2026, 11, 11), date(2026, 12, 25),
}
H = french_holidays(range(2024, 2029))
starts = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 30))


# Holidays, from the `holidays` package through the adapter


def test_the_2026_french_public_holidays_are_the_eleven_statutory_days():
    assert french_holidays([2026]) == HOLIDAYS_2026


def test_alsace_moselle_adds_good_friday_and_26_december_only():
    extra = french_holidays([2026], alsace_moselle=True) - french_holidays([2026])
    assert extra == {date(2026, 4, 3), date(2026, 12, 26)}


def test_holidays_cover_every_year_asked_for_and_no_other():
    days = french_holidays([2027, 2025, 2025])
    assert {d.year for d in days} == {2025, 2027}
    assert len(days) == 22
    assert date(2025, 6, 9) in days  # Whit Monday 2025
    assert date(2027, 3, 29) in days  # Easter Monday 2027


def test_holiday_names_are_french_for_display():
    names = holiday_names([2026])
    assert names[date(2026, 4, 6)] == "Lundi de Pâques"
    assert names[date(2026, 5, 14)] == "Ascension"
    assert list(names) == sorted(names)
    assert holiday_names([2026], alsace_moselle=True)[date(2026, 4, 3)] == "Vendredi saint"


# Jours ouvrés and ouvrables


def test_saturday_is_ouvrable_but_not_ouvre_and_sunday_is_neither():
    saturday, sunday = date(2026, 5, 9), date(2026, 5, 10)
    assert is_business_day(saturday, H, "ouvrables")
    assert not is_business_day(saturday, H, "ouvres")
    assert not is_business_day(sunday, H, "ouvrables")
    assert not is_business_day(sunday, H, "ouvres")


def test_a_weekday_holiday_is_neither_ouvre_nor_ouvrable():
    assert not is_business_day(date(2026, 5, 14), H, "ouvres")
    assert not is_business_day(date(2026, 5, 14), H, "ouvrables")
    assert is_business_day(date(2026, 5, 14), frozenset(), "ouvres")


def test_an_unknown_kind_of_business_day_is_refused():
    with pytest.raises(InvalidInputError, match="Unité inconnue"):
        is_business_day(date(2026, 5, 11), H, "calendaires")


def test_the_next_business_day_skips_holidays_and_the_weekend():
    assert next_business_day(date(2026, 5, 1), H) == date(2026, 5, 4)  # Friday 1 May
    assert next_business_day(date(2026, 12, 25), H) == date(2026, 12, 28)
    assert next_business_day(date(2026, 5, 11), H) == date(2026, 5, 11)
    assert next_business_day(date(2026, 5, 2), H, "ouvrables") == date(2026, 5, 2)


def test_business_days_between_count_the_end_day_but_not_the_start_day():
    sunday, next_sunday = date(2026, 5, 3), date(2026, 5, 10)  # 8 May is a holiday
    assert business_days_between(sunday, next_sunday, H) == 4
    assert business_days_between(sunday, next_sunday, H, "ouvrables") == 5
    assert business_days_between(date(2026, 5, 4), date(2026, 5, 4), H) == 0
    assert business_days_between(date(2026, 5, 4), date(2026, 5, 5), H) == 1


def test_adding_business_days_skips_ascension_and_whit_monday_2026():
    assert add_business_days(date(2026, 4, 30), 15, H) == date(2026, 5, 27)
    assert add_business_days(date(2026, 4, 30), 15, frozenset()) == date(2026, 5, 21)
    assert add_business_days(date(2026, 5, 11), 0, H) == date(2026, 5, 11)


def test_a_negative_number_of_business_days_is_refused_in_french():
    with pytest.raises(InvalidInputError, match="Nombre de jours négatif"):
        add_business_days(date(2026, 5, 11), -1, H)


# Months (art. 641 CPC)


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 4, 14), 1, date(2026, 5, 14)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 1, 15), 24, date(2028, 1, 15)),
])
def test_a_month_ends_on_the_same_day_number_or_the_last_day_of_a_shorter_month(start, months,
                                                                               end):
    assert add_months(start, months) == end


# Reading a delay


@pytest.mark.parametrize(("text", "delay"), [
    ("8 jours", Delay(8, "calendaires")),
    ("8 j", Delay(8, "calendaires")),
    ("8 jours calendaires", Delay(8, "calendaires")),
    ("1 jour", Delay(1, "calendaires")),
    ("15 jours ouvrés", Delay(15, "ouvres")),
    ("15 JOURS OUVRÉS", Delay(15, "ouvres")),
    ("1 jour ouvré", Delay(1, "ouvres")),
    ("10 jours ouvrables", Delay(10, "ouvrables")),
    ("1 jour ouvrable", Delay(1, "ouvrables")),
    ("8 jours francs", Delay(8, "francs")),
    ("2 semaines", Delay(14, "calendaires")),
    ("1 semaine", Delay(7, "calendaires")),
    ("1 mois", Delay(1, "mois")),
    ("  3 mois ", Delay(3, "mois")),
])
def test_common_delays_are_read_with_their_unit(text, delay):
    assert parse_delay(text) == delay


@pytest.mark.parametrize("text", ["huit jours", "8", "8 jours ouvrés lundi", "-8 jours",
                                  "1 mois ouvrés", "2 semaines ouvrables", "1 an"])
def test_unreadable_delays_are_refused_with_a_french_message(text):
    with pytest.raises(InvalidInputError, match="Délai illisible") as caught:
        parse_delay(text)
    assert f"« {text} »" in caught.value.message


# Deadlines (art. 641 and 642 CPC)


@pytest.mark.parametrize(("start", "delay", "end"), [
    (date(2026, 4, 28), "8 jours", date(2026, 5, 6)),  # a Wednesday: not moved
    (date(2026, 4, 23), "8 jours", date(2026, 5, 4)),  # Friday 1 May: moved to Monday
    (date(2026, 2, 20), "8 jours", date(2026, 3, 2)),  # Saturday 28 Feb: moved to Monday
    (date(2026, 5, 6), "8 jours", date(2026, 5, 15)),  # Thursday 14 May, Ascension
    (date(2026, 4, 30), "15 jours ouvrés", date(2026, 5, 27)),
    (date(2026, 4, 30), "10 jours ouvrables", date(2026, 5, 15)),
    (date(2026, 4, 30), "6 jours ouvrables", date(2026, 5, 11)),  # Saturday 9 May: Monday
    (date(2026, 1, 31), "1 mois", date(2026, 3, 2)),  # Saturday 28 Feb: Monday
    (date(2026, 4, 14), "1 mois", date(2026, 5, 15)),  # Ascension: the next day
    (date(2026, 3, 31), "1 mois", date(2026, 4, 30)),
    (date(2026, 4, 16), "2 semaines", date(2026, 4, 30)),
    (date(2026, 3, 2), "8 jours francs", date(2026, 3, 11)),  # 3 to 10 March are full days
    (date(2026, 12, 17), "8 jours", date(2026, 12, 28)),  # Friday 25 Dec: Monday 28
])
def test_a_deadline_ending_on_a_non_business_day_moves_to_the_next_business_day(start, delay,
                                                                                end):
    assert deadline(start, delay, H) == end


def test_a_deadline_accepts_an_already_parsed_delay():
    assert deadline(date(2026, 4, 30), Delay(15, "ouvres"), H) == date(2026, 5, 27)


def test_the_alsace_moselle_option_changes_deadlines_over_good_friday():
    # 8 days from 26 March 2026 end on Friday 3 April, Good Friday in Alsace-Moselle only.
    assert deadline(date(2026, 3, 26), "8 jours", H) == date(2026, 4, 3)
    alsace = french_holidays([2026], alsace_moselle=True)
    assert deadline(date(2026, 3, 26), "8 jours", alsace) == date(2026, 4, 7)  # Easter Monday


@given(start=starts, count=st.integers(1, 60), unit=st.sampled_from(["ouvres", "ouvrables"]))
def test_adding_business_days_lands_on_a_business_day_that_many_business_days_later(start,
                                                                                  count, unit):
    end = add_business_days(start, count, H, unit)
    assert is_business_day(end, H, unit)
    assert business_days_between(start, end, H, unit) == count


@given(start=starts, days=st.integers(0, 90))
def test_a_calendar_deadline_is_the_first_business_day_on_or_after_its_raw_end(start, days):
    raw = start + timedelta(days=days)
    end = deadline(start, Delay(days, "calendaires"), H)
    assert is_business_day(end, H, "ouvres")
    assert raw <= end
    assert business_days_between(raw, end - timedelta(days=1), H) == 0
    assert (end - raw).days <= 4  # at worst a long weekend with holidays


@given(start=starts, months=st.integers(1, 24))
def test_a_month_deadline_never_ends_on_a_weekend_or_a_holiday(start, months):
    end = deadline(start, Delay(months, "mois"), H)
    assert end.weekday() < 5 and end not in H
    assert end >= add_months(start, months)

"""The shipped rate table, half-years, and the refusal to compute without a rate."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources

import pytest

from relance.law.errors import InvalidInputError, MissingRateError
from relance.law.rates import HalfYear, RateEntry, RateTable, load_shipped_rates

# Law file §3 ("particuliers", "autres cas") and §2.3 (ECB MRO on the reference date).
EXPECTED = {
    "2015-H1": ("0.05", "4.06", "0.93"), "2015-H2": ("0.05", "4.29", "0.99"),
    "2016-H1": ("0.05", "4.54", "1.01"), "2016-H2": ("0.00", "4.35", "0.93"),
    "2017-H1": ("0.00", "4.16", "0.90"), "2017-H2": ("0.00", "3.94", "0.90"),
    "2018-H1": ("0.00", "3.73", "0.89"), "2018-H2": ("0.00", "3.60", "0.88"),
    "2019-H1": ("0.00", "3.40", "0.86"), "2019-H2": ("0.00", "3.26", "0.87"),
    "2020-H1": ("0.00", "3.15", "0.87"), "2020-H2": ("0.00", "3.11", "0.84"),
    "2021-H1": ("0.00", "3.14", "0.79"), "2021-H2": ("0.00", "3.12", "0.76"),
    "2022-H1": ("0.00", "3.13", "0.76"), "2022-H2": ("0.00", "3.15", "0.77"),
    "2023-H1": ("2.50", "4.47", "2.06"), "2023-H2": ("4.00", "6.82", "4.22"),
    "2024-H1": ("4.50", "8.01", "5.07"), "2024-H2": ("4.25", "8.16", "4.92"),
    "2025-H1": ("3.15", "7.21", "3.71"), "2025-H2": ("2.15", "6.65", "2.76"),
    "2026-H1": ("2.15", "6.67", "2.62"),
}
# Law file §2.3, last column: 3 x the "autres cas" legal rate.
THREE_TIMES_LEGAL = {
    "2015-H1": "2.79", "2015-H2": "2.97", "2016-H1": "3.03", "2016-H2": "2.79",
    "2017-H1": "2.70", "2017-H2": "2.70", "2018-H1": "2.67", "2018-H2": "2.64",
    "2019-H1": "2.58", "2019-H2": "2.61", "2020-H1": "2.61", "2020-H2": "2.52",
    "2021-H1": "2.37", "2021-H2": "2.28", "2022-H1": "2.28", "2022-H2": "2.31",
    "2023-H1": "6.18", "2023-H2": "12.66", "2024-H1": "15.21", "2024-H2": "14.76",
    "2025-H1": "11.13", "2025-H2": "8.28", "2026-H1": "7.86",
}


def test_the_shipped_table_holds_every_half_year_from_2015_to_2026_h1_as_in_the_law_file():
    table = load_shipped_rates()
    assert [str(e.half) for e in table] == list(EXPECTED)
    for entry in table:
        ecb, private, other = EXPECTED[str(entry.half)]
        assert (entry.ecb, entry.legal_private, entry.legal_other) == (
            Decimal(ecb), Decimal(private), Decimal(other))


def test_three_times_the_legal_rate_matches_the_floor_column_of_the_law_file():
    for entry in load_shipped_rates():
        assert 3 * entry.legal_other == Decimal(THREE_TIMES_LEGAL[str(entry.half)])


def test_every_shipped_figure_has_a_source():
    for entry in load_shipped_rates():
        assert entry.ecb_source and entry.legal_source
        assert entry.origin == "shipped"


def test_the_data_file_stores_figures_as_strings_so_they_stay_exact():
    text = resources.files("relance.law.data").joinpath("rates.toml").read_text("utf-8")
    for raw in tomllib.loads(text)["rate"]:
        assert all(isinstance(raw[k], str) for k in ("ecb", "legal_private", "legal_other"))


def test_the_second_half_of_2026_is_not_invented():
    assert HalfYear(2026, 2) not in load_shipped_rates()


def test_a_missing_half_year_is_refused_with_a_french_message_saying_how_to_add_it():
    with pytest.raises(MissingRateError) as caught:
        load_shipped_rates().entry(HalfYear(2026, 2))
    err = caught.value
    assert err.half == HalfYear(2026, 2)
    assert "Taux manquant pour le semestre 2026-H2" in err.message
    assert ("relance rates add 2026-H2 --ecb … --legal-private … --legal-other … --source URL"
            in err.message)
    assert str(err) == err.message


def test_user_rates_override_the_shipped_ones_and_fill_missing_half_years():
    table = load_shipped_rates()
    h2 = RateEntry.of("2026-H2", ecb="2.15", legal_private="6.5", legal_other="2.5",
                      source="https://www.legifrance.gouv.fr/")
    fixed = RateEntry.of("2025-H1", ecb="3.15", legal_private="7.21", legal_other="3.70")
    merged = table.with_overrides([h2, fixed])
    assert merged.entry(HalfYear(2026, 2)).legal_other == Decimal("2.5")
    assert merged.entry(HalfYear(2025, 1)).legal_other == Decimal("3.70")
    assert merged.entry(HalfYear(2025, 1)).origin == "user"
    assert HalfYear(2026, 2) not in table  # the shipped table is unchanged
    assert len(merged) == len(table) + 1


def test_rate_entries_refuse_floats_and_nonsense():
    with pytest.raises(InvalidInputError):
        RateEntry.of("2026-H2", ecb=2.15, legal_private="6", legal_other="2")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="n'est pas un nombre"):
        RateEntry.of("2026-H2", ecb="deux", legal_private="6", legal_other="2")
    with pytest.raises(InvalidInputError, match="invraisemblable"):
        RateEntry.of("2026-H2", ecb="2", legal_private="600", legal_other="2")
    assert RateEntry.of("2026-H2", ecb="2,15", legal_private="6", legal_other="2").ecb == \
        Decimal("2.15")


def test_a_table_refuses_two_entries_for_the_same_half_year():
    entry = load_shipped_rates().entry(HalfYear(2024, 1))
    with pytest.raises(InvalidInputError, match="en double"):
        RateTable([entry, entry])


def test_half_years_parse_print_order_and_bound_their_dates():
    h = HalfYear.parse("2026-H2")
    assert str(h) == "2026-H2" and HalfYear.parse("2026-s2") == h
    assert (h.start.isoformat(), h.end.isoformat()) == ("2026-07-01", "2026-12-31")
    assert HalfYear.parse("2026-H1") < h < HalfYear.parse("2027-H1")
    assert HalfYear(2025, 2).next() == HalfYear(2026, 1)
    assert HalfYear.of(h.start) == h and HalfYear.of(HalfYear(2024, 1).end) == HalfYear(2024, 1)


@pytest.mark.parametrize("text", ["2026-H3", "2026", "H2-2026", "", "26-H1"])
def test_bad_half_year_text_is_a_typed_error_in_french(text):
    with pytest.raises(InvalidInputError, match="Semestre invalide"):
        HalfYear.parse(text)

"""Collective proceedings and over-indebtedness: deadlines, dunning, penalties, declaration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.law.calendar import next_business_day
from relance.law.errors import InvalidInputError
from relance.law.proceedings import (
    KINDS,
    LABELS,
    PriorInvoice,
    accrual_until,
    claim_deadline,
    declaration_lines,
    dunning_allowed,
    is_prior_claim,
    kind_label,
    load_proceedings_law,
    long_date,
    penalty_stop,
    relief_deadline,
)

JUDGMENT = date(2026, 3, 2)


def invoice(number: str, issued: date, due: date, amount: str, **extra: Decimal) -> PriorInvoice:
    return PriorInvoice(number, issued, due, Decimal(amount), **extra)


class TestData:
    def test_every_rule_has_a_source_and_a_legifrance_url(self) -> None:
        law = load_proceedings_law()
        for rule in law.rules.values():
            assert rule.source and rule.summary and rule.relance
            assert rule.url.startswith("https://www.legifrance.gouv.fr/codes/")
            assert set(rule.kinds) <= set(KINDS)

    @pytest.mark.parametrize("rule_id", [
        "L622-21", "L622-17", "L622-24", "R622-24", "L622-26", "L622-28", "L631-14",
        "L641-3", "L622-25", "R622-23", "L722-2", "L722-3", "L722-5",
    ])
    def test_the_rules_asked_for_are_there(self, rule_id: str) -> None:
        assert load_proceedings_law().rule(rule_id).id == rule_id

    def test_unknown_rule(self) -> None:
        with pytest.raises(InvalidInputError, match="Règle inconnue"):
            load_proceedings_law().rule("L999-1")

    def test_delays(self) -> None:
        delays = load_proceedings_law().delays
        assert (delays.claim_months, delays.abroad_extra_months) == (2, 2)
        assert (delays.relief_months, delays.relief_unaware_months) == (6, 12)
        assert delays.suspension_max_years == 2

    def test_labels(self) -> None:
        assert KINDS == ("sauvegarde", "redressement", "liquidation", "surendettement")
        assert kind_label("redressement") == "redressement judiciaire"
        assert LABELS["surendettement"] == "dossier de surendettement déclaré recevable"
        with pytest.raises(InvalidInputError, match="Procédure inconnue"):
            kind_label("faillite")

    def test_long_date(self) -> None:
        assert long_date(date(2026, 3, 1)) == "1er mars 2026"
        assert long_date(date(2026, 8, 15)) == "15 août 2026"


class TestClaimDeadline:
    @pytest.mark.parametrize(("published", "expected"), [
        (date(2026, 3, 12), date(2026, 5, 12)),
        (date(2025, 12, 31), date(2026, 2, 28)),   # no 31 February: last day of the month
        (date(2027, 12, 31), date(2028, 2, 29)),   # leap year
        (date(2026, 12, 30), date(2027, 2, 28)),
        (date(2026, 11, 15), date(2027, 1, 15)),   # across the year
        (date(2026, 7, 31), date(2026, 9, 30)),
    ])
    def test_two_months_same_day_number_clamped(self, published: date, expected: date) -> None:
        assert claim_deadline(published) == expected

    @pytest.mark.parametrize(("published", "expected"), [
        (date(2026, 3, 12), date(2026, 7, 12)),
        (date(2025, 12, 31), date(2026, 4, 30)),   # 4 months from publication, not 28 April
        (date(2026, 10, 31), date(2027, 2, 28)),
    ])
    def test_abroad_four_months(self, published: date, expected: date) -> None:
        assert claim_deadline(published, abroad=True) == expected

    def test_no_postponement_without_business_day(self) -> None:
        assert claim_deadline(date(2026, 2, 4)) == date(2026, 4, 4)  # a Saturday

    def test_business_day_postponement(self) -> None:
        holidays = frozenset({date(2026, 4, 6)})  # Easter Monday
        moved = claim_deadline(date(2026, 2, 4),
                               business_day=lambda d: next_business_day(d, holidays))
        assert moved == date(2026, 4, 7)

    def test_relief_deadline(self) -> None:
        assert relief_deadline(date(2026, 8, 31)) == date(2027, 2, 28)
        assert relief_deadline(date(2026, 8, 31), unaware=True) == date(2027, 8, 31)


class TestPriorClaims:
    def test_before_the_judgment_day_is_prior(self) -> None:
        assert is_prior_claim(date(2026, 3, 1), JUDGMENT)

    def test_on_the_judgment_day_is_posterior(self) -> None:
        assert not is_prior_claim(JUDGMENT, JUDGMENT)

    def test_after_is_posterior(self) -> None:
        assert not is_prior_claim(date(2026, 3, 3), JUDGMENT)


class TestPenaltyStop:
    @pytest.mark.parametrize("kind", ["sauvegarde", "redressement", "liquidation"])
    def test_collective_proceedings_stop_penalties_at_the_judgment(self, kind: str) -> None:
        assert penalty_stop(kind, JUDGMENT) == JUDGMENT
        assert accrual_until(kind, JUDGMENT) == date(2026, 3, 1)
        assert accrual_until(kind, JUDGMENT, end_day_counts=False) == JUDGMENT

    def test_over_indebtedness_does_not(self) -> None:
        assert penalty_stop("surendettement", JUDGMENT) is None
        assert accrual_until("surendettement", JUDGMENT) is None

    def test_unknown_kind(self) -> None:
        with pytest.raises(InvalidInputError):
            penalty_stop("concordat", JUDGMENT)


class TestDunningAllowed:
    def test_prior_claim_in_redressement(self) -> None:
        assert dunning_allowed("redressement", date(2026, 2, 10), JUDGMENT) == (
            False,
            "Créance antérieure au jugement d'ouverture du 2 mars 2026 : relances interdites "
            "(C. com. L622-21) ; déclarer la créance au mandataire judiciaire.",
        )

    def test_claim_of_the_judgment_day_in_sauvegarde(self) -> None:
        allowed, why = dunning_allowed("sauvegarde", JUDGMENT, JUDGMENT)
        assert allowed
        assert why == ("Créance postérieure au jugement d'ouverture du 2 mars 2026 : payable "
                       "à l'échéance (C. com. L622-17) ; relances autorisées.")

    def test_liquidation(self) -> None:
        allowed, why = dunning_allowed("liquidation", date(2026, 1, 1), JUDGMENT)
        assert not allowed
        assert "L622-21" in why and "L641-3" in why and "liquidateur" in why
        allowed, why = dunning_allowed("liquidation", date(2026, 3, 10), JUDGMENT)
        assert allowed and "L641-13" in why

    @pytest.mark.parametrize("issued", [date(2026, 1, 10), JUDGMENT, date(2026, 4, 1)])
    def test_over_indebtedness_pauses_everything(self, issued: date) -> None:
        allowed, why = dunning_allowed("surendettement", issued, JUDGMENT)
        assert not allowed
        assert "L722-5" in why and "2 mars 2026" in why

    def test_over_indebtedness_says_why(self) -> None:
        prior = dunning_allowed("surendettement", date(2026, 1, 10), JUDGMENT)[1]
        later = dunning_allowed("surendettement", date(2026, 4, 1), JUDGMENT)[1]
        assert "ne peut pas la payer" in prior and "L722-2" in prior
        assert "prudence" in later


class TestDeclaration:
    def test_totals_matured_and_to_mature(self) -> None:
        decl = declaration_lines("redressement", JUDGMENT, [
            invoice("F1", date(2026, 1, 5), date(2026, 2, 4), "1200.00",
                    penalties=Decimal("12.43"), indemnity=Decimal("40.00")),
            invoice("F2", date(2026, 1, 20), date(2026, 3, 1), "300.50",
                    indemnity=Decimal("40.00")),
            invoice("F3", date(2026, 2, 20), date(2026, 3, 2), "600.00"),  # due that day
            invoice("F4", date(2026, 3, 1), date(2026, 3, 31), "99.99",
                    amount_excl_tax=Decimal("83.33")),
        ])
        assert decl.principal_matured == Decimal("1500.50")
        assert decl.principal_to_mature == Decimal("699.99")
        assert decl.penalties == Decimal("12.43")
        assert decl.indemnities == Decimal("80.00")
        assert decl.matured == Decimal("1592.93")
        assert decl.to_mature == Decimal("699.99")
        assert decl.total == Decimal("2292.92")
        assert [ln.status for ln in decl.invoice_lines] == ["échu", "échu", "à échoir",
                                                            "à échoir"]
        assert [(ln.kind, ln.invoice) for ln in decl.accessory_lines] == [
            ("penalties", "F1"), ("indemnity", "F1"), ("indemnity", "F2")]
        assert "arrêtées au 2 mars 2026" in decl.accessory_lines[0].label
        assert decl.invoice_lines[3].amount_excl_tax == Decimal("83.33")
        assert all(isinstance(ln.amount, Decimal) for ln in decl.lines)
        assert decl.notes and "L622-29" in decl.notes[0]

    def test_liquidation_note(self) -> None:
        decl = declaration_lines("liquidation", JUDGMENT, [
            invoice("F1", date(2026, 2, 1), date(2026, 4, 1), "10.00")])
        assert "L643-1" in decl.notes[0]

    def test_nothing_to_mature_no_note(self) -> None:
        decl = declaration_lines("sauvegarde", JUDGMENT, [
            invoice("F1", date(2026, 1, 1), date(2026, 1, 31), "10.00")])
        assert decl.notes == () and decl.to_mature == 0

    def test_paid_late_invoice_brings_only_its_penalties(self) -> None:
        decl = declaration_lines("sauvegarde", JUDGMENT, [
            invoice("F1", date(2026, 1, 1), date(2026, 1, 31), "0.00",
                    penalties=Decimal("3.10"), indemnity=Decimal("40.00"))])
        assert decl.invoice_lines == ()
        assert decl.total == Decimal("43.10")

    def test_posterior_invoice_is_refused(self) -> None:
        with pytest.raises(InvalidInputError, match="postérieure au jugement"):
            declaration_lines("redressement", JUDGMENT, [
                invoice("F9", JUDGMENT, date(2026, 4, 1), "10.00")])

    def test_penalties_on_an_invoice_not_yet_due_are_refused(self) -> None:
        with pytest.raises(InvalidInputError, match="non échue"):
            declaration_lines("redressement", JUDGMENT, [
                invoice("F1", date(2026, 2, 1), JUDGMENT, "10.00", penalties=Decimal("1.00"))])

    def test_floats_are_refused(self) -> None:
        bad = PriorInvoice("F1", date(2026, 1, 1), date(2026, 1, 31), 10.0)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="décimal exact"):
            declaration_lines("redressement", JUDGMENT, [bad])

    def test_negative_and_duplicates_and_empty(self) -> None:
        with pytest.raises(InvalidInputError, match="négatif"):
            declaration_lines("redressement", JUDGMENT, [
                invoice("F1", date(2026, 1, 1), date(2026, 1, 31), "-1.00")])
        twice = invoice("F1", date(2026, 1, 1), date(2026, 1, 31), "1.00")
        with pytest.raises(InvalidInputError, match="en double"):
            declaration_lines("redressement", JUDGMENT, [twice, twice])
        with pytest.raises(InvalidInputError, match="Aucune somme"):
            declaration_lines("redressement", JUDGMENT, [])

    def test_no_declaration_for_over_indebtedness(self) -> None:
        with pytest.raises(InvalidInputError, match="commission"):
            declaration_lines("surendettement", JUDGMENT, [
                invoice("F1", date(2026, 1, 1), date(2026, 1, 31), "1.00")])

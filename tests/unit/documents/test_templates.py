"""The reminder templates: every one renders, says what the law asks, and fails loudly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.documents.render import (
    KINDS,
    TEMPLATE_NAMES,
    TemplateProblem,
    available,
    check_templates,
    environment,
    render,
    sample_context,
)
from relance.domain.money import money
from relance.law.penalties import compute_penalties, load_shipped_rates

REMINDERS = ("rappel_avant_echeance", "relance_courtoise", "appel_courtois", "seconde_relance",
             "appel_ferme", "mise_en_demeure", "mise_en_demeure_particulier",
             "proposition_echeancier", "confirmation_promesse", "releve_de_compte")
WRITTEN = ("email.txt", "email.html", "letter.txt")
DEADLINE = "sous 8 jours à compter de la réception de la présente"


def plain(text: str) -> str:
    """Babel writes narrow and ordinary no-break spaces; compare with plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def out(name: str, kind: str, context: dict[str, object] | None = None, lang: str = "fr") -> str:
    return plain(render(environment(), name, kind, context or sample_context(), lang))


def consumer_context() -> dict[str, object]:
    ctx = sample_context()
    ctx["client"] = {"name": "Sophie Bernard", "ref": "P-0007", "kind": "b2c",
                     "contact_name": "Mme Sophie Bernard",
                     "address_lines": ["8 rue Victor Hugo", "69003 Lyon"]}
    ctx["claims_penalties"] = False
    ctx["penalties"] = []
    ctx["penalties_total"] = Decimal("0.00")
    ctx["total_due"] = ctx["total_open"]
    return ctx


def collector() -> dict[str, object]:
    return {
        "legal_name": "Recouvre Conseil", "legal_form": "SAS", "share_capital": None,
        "rcs_city": "Lyon", "siren": "812 345 676",
        "address_lines": ["5 place Bellecour", "69002 Lyon"],
        "email": "dossiers@recouvre-conseil.example", "phone": "04 78 11 22 33",
        "iban": "FR76 1027 8073 0000 0202 8350 126", "bic": "CMCIFR2A",
        "signatory_name": "Jean Roux", "signatory_title": "Chargé de recouvrement",
    }


# --- every template renders ----------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_french_template_renders_with_the_sample_context(name: str, kind: str) -> None:
    assert out(name, kind).strip()


def test_check_templates_finds_nothing_wrong_in_the_shipped_templates() -> None:
    env = environment()
    assert check_templates(env, TEMPLATE_NAMES, sample_context()) == []
    assert check_templates(env, TEMPLATE_NAMES, consumer_context()) == []
    with_collector = dict(sample_context(), collector=collector())
    assert check_templates(env, TEMPLATE_NAMES, with_collector) == []


def test_english_is_available_for_the_first_two_steps() -> None:
    env = environment()
    names = ("rappel_avant_echeance", "relance_courtoise")
    assert check_templates(env, names, sample_context(), lang="en") == []
    assert "Invoice no. F2025-0412 dated 21 October 2025" in out("relance_courtoise",
                                                                 "email.txt", lang="en")


def test_available_lists_every_name_and_kind_but_no_partial() -> None:
    rows = available(environment())
    assert {(n, k) for n, k, _ in rows} == {(n, k) for n in TEMPLATE_NAMES for k in KINDS}
    assert {origin for _, _, origin in rows} == {"package"}


def test_a_subject_is_one_line_and_an_sms_fits_in_320_characters() -> None:
    for name in TEMPLATE_NAMES:
        assert "\n" not in out(name, "subject")
        assert len(render(environment(), name, "sms.txt", sample_context())) <= 320


# --- what a reminder says ------------------------------------------------------------------


def test_filters_write_french_amounts_dates_and_rates() -> None:
    env = environment()
    text = env.from_string("{{ a|money }} | {{ d|date_long }} | {{ f|date_long }} | "
                           "{{ d|date_short }} | {{ r|percent }}").render(
        a=Decimal("1234.56"), d=date(2026, 11, 23), f=date(2025, 1, 1), r=Decimal("12.15"))
    assert plain(text) == "1 234,56 € | 23 novembre 2026 | 1er janvier 2025 | 23/11/2026 | 12,15 %"


@pytest.mark.parametrize("name", REMINDERS)
@pytest.mark.parametrize("kind", WRITTEN)
def test_each_reminder_names_every_invoice_the_total_and_how_to_pay(name: str, kind: str) -> None:
    text = out(name, kind)
    for number, issued, due, amount, still_open in [
        ("F2025-0412", "21 octobre 2025", "20 novembre 2025", "2 500,00 €", "2 500,00 €"),
        ("F2025-0468", "1er décembre 2025", "31 décembre 2025", "1 834,56 €", "1 234,56 €"),
    ]:
        for fact in (number, issued, due, amount, still_open):
            assert fact in text, (name, kind, fact)
    assert "3 734,56 €" in text
    for fact in ("FR76 3000 6000 0112 3456 7890 189", "AGRIFRPPXXX", "C0042-F20250412",
                 "Claire Durand", "04 72 00 00 00", "compta@atelier-durand.example"):
        assert fact in text, (name, kind, fact)


@pytest.mark.parametrize("name", ["relance_courtoise", "seconde_relance", "appel_ferme",
                                  "mise_en_demeure", "releve_de_compte"])
def test_penalties_with_their_calculation_and_40_euros_when_the_step_claims_them(
        name: str) -> None:
    text = out(name, "letter.txt")
    assert "article L441-10 du code de commerce" in text
    assert ("Du 21 novembre 2025 au 31 décembre 2025 : 2 500,00 € × 12,15 % × 41 jours / 365 "
            "= 34,12 €") in text
    assert "indemnité forfaitaire 40,00 €" in text
    assert "3 899,65 €" in text

    quiet = dict(sample_context(), claims_penalties=False)
    assert "34,12 €" not in out(name, "letter.txt", quiet)
    assert "3 899,65 €" not in out(name, "letter.txt", quiet)


def test_sample_penalties_are_those_the_law_module_computes() -> None:
    rates = load_shipped_rates()
    ctx = sample_context()
    for invoice, penalty in zip(ctx["invoices"], ctx["penalties"], strict=True):  # type: ignore[call-overload]
        result = compute_penalties(amount=money(invoice["open_amount"]), due=invoice["due_date"],
                                   until=ctx["today"], kind="b2b", rates=rates)
        assert (result.interest, result.indemnity) == (penalty["interest"], penalty["indemnity"])


def test_a_consumer_is_never_shown_the_40_euro_indemnity() -> None:
    ctx = dict(consumer_context(), claims_penalties=True,
               penalties=sample_context()["penalties"])
    for name in ("relance_courtoise", "seconde_relance", "appel_ferme", "releve_de_compte"):
        for kind in WRITTEN:
            text = out(name, kind, ctx)
            assert "40,00 €" not in text and "40 €" not in text, (name, kind)
            assert "3 899,65 €" not in text, (name, kind)


# --- formal notices ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", WRITTEN)
def test_the_formal_notice_to_a_professional(kind: str) -> None:
    assert "mise en demeure" in out("mise_en_demeure", "subject").lower()
    text = out("mise_en_demeure", kind)
    assert "mise en demeure" in text.lower()
    assert DEADLINE in text
    assert "principal : 3 734,56 €" in text
    assert "pénalités de retard : 85,09 €" in text
    assert "indemnités forfaitaires pour frais de recouvrement : 80,00 €" in text
    assert "12,15 %" in text and "40,00 €" in text
    assert "juridiction compétente" in text


@pytest.mark.parametrize("kind", WRITTEN)
def test_the_formal_notice_to_a_consumer_claims_legal_interest_and_no_fees(kind: str) -> None:
    assert "mise en demeure" in out("mise_en_demeure_particulier", "subject",
                                    consumer_context()).lower()
    for ctx in (consumer_context(), sample_context()):
        text = out("mise_en_demeure_particulier", kind, ctx)
        assert "mise en demeure" in text.lower()
        assert DEADLINE in text
        assert "intérêts au taux légal à compter de la réception" in text
        assert "ne vous seront pas facturés" in text
        for absent in ("40 €", "40,00", "indemnité forfaitaire", "pénalités", "34,12"):
            assert absent not in text, (kind, absent)
        assert "action en justice" in text


# --- R124-4 CPCE: a collector writing for the creditor -----------------------------------


@pytest.mark.parametrize("name", REMINDERS)
def test_r124_4_mentions_only_when_someone_else_collects(name: str) -> None:
    for kind in WRITTEN:
        assert "R124-4" not in out(name, kind), (name, kind)
        same = dict(sample_context(), collector=sample_context()["creditor"])
        assert "R124-4" not in out(name, kind, same), (name, kind)

        text = out(name, kind, dict(sample_context(), collector=collector()))
        for fact in ("R124-4", "Recouvre Conseil, SAS, 5 place Bellecour, 69002 Lyon",
                     "recouvrement amiable de créances pour le compte d'autrui",
                     "Atelier Durand, SARL, 12 rue des Tanneurs, 69002 Lyon",
                     "Fondement de la créance", "principal : 3 734,56 €",
                     "FR76 1027 8073 0000 0202 8350 126",
                     "Les frais de recouvrement entrepris sans titre exécutoire restent à la "
                     "charge du créancier, sauf s'ils concernent un acte",
                     "Cependant, le créancier qui justifie du caractère nécessaire"):
            assert fact in text, (name, kind, fact)


# --- user templates and problems -----------------------------------------------------------


def write(folder: Path, name: str, text: str) -> None:
    (folder / "fr").mkdir(parents=True, exist_ok=True)
    (folder / "fr" / name).write_text(text, encoding="utf-8")


def test_a_user_template_wins_over_the_shipped_one(tmp_path: Path) -> None:
    write(tmp_path, "relance_courtoise.subject.txt", "Petit rappel pour {{ client.name }}")
    write(tmp_path, "_contact.txt", "Appelez Claire au {{ sender.phone }}.")
    env = environment(tmp_path)
    ctx = sample_context()
    assert render(env, "relance_courtoise", "subject", ctx) == "Petit rappel pour Garage Martin SARL"
    assert "Appelez Claire au 04 72 00 00 00." in render(env, "seconde_relance", "email.txt", ctx)
    rows = available(env)
    assert ("relance_courtoise", "subject", "user") in rows
    assert ("relance_courtoise", "email.txt", "package") in rows
    assert not any(name.startswith("_") for name, _, _ in rows)


def test_a_missing_variable_names_the_template_the_line_and_the_variable() -> None:
    ctx = sample_context()
    del ctx["payment_reference"]
    with pytest.raises(TemplateProblem) as caught:
        render(environment(), "mise_en_demeure", "letter.txt", ctx)
    problem = caught.value
    assert problem.template == "fr/mise_en_demeure.letter.txt"
    assert problem.partial == "fr/_payment.txt" and problem.line == 5
    assert "« payment_reference » n'est pas fournie" in problem.message
    assert "fr/mise_en_demeure.letter.txt" in str(problem)


def test_a_missing_field_is_named_too() -> None:
    ctx = sample_context()
    ctx["creditor"] = {k: v for k, v in ctx["creditor"].items() if k != "iban"}  # type: ignore[attr-defined]
    with pytest.raises(TemplateProblem, match="« iban » manque"):
        render(environment(), "relance_courtoise", "email.html", ctx)


def test_a_syntax_error_names_the_template_and_the_line(tmp_path: Path) -> None:
    write(tmp_path, "relance_courtoise.email.txt", "Bonjour,\n\n{% if client.name %}\nSans fin\n")
    with pytest.raises(TemplateProblem) as caught:
        render(environment(tmp_path), "relance_courtoise", "email.txt", sample_context())
    assert caught.value.template == "fr/relance_courtoise.email.txt"
    assert "erreur de syntaxe" in caught.value.message
    assert caught.value.line is not None


@pytest.mark.parametrize("attempt", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ client.__class__ }}",
    "{% set x = invoices.append(1) %}{{ x }}",
])
def test_the_sandbox_refuses_escapes(tmp_path: Path, attempt: str) -> None:
    write(tmp_path, "relance_courtoise.subject.txt", "Objet " + attempt)
    with pytest.raises(TemplateProblem) as caught:
        render(environment(tmp_path), "relance_courtoise", "subject", sample_context())
    assert caught.value.template == "fr/relance_courtoise.subject.txt"
    assert "bac à sable" in caught.value.message


def test_printing_none_is_a_problem_not_the_word_none(tmp_path: Path) -> None:
    write(tmp_path, "relance_courtoise.subject.txt", "Pour {{ client.contact_name }}")
    ctx = sample_context()
    ctx["client"] = dict(ctx["client"], contact_name=None)  # type: ignore[call-overload]
    with pytest.raises(TemplateProblem, match="None"):
        render(environment(tmp_path), "relance_courtoise", "subject", ctx)
    assert "None" not in out("relance_courtoise", "email.txt", ctx)
    assert "Madame, Monsieur," in out("relance_courtoise", "email.txt", ctx)


def test_a_float_amount_is_refused() -> None:
    ctx = dict(sample_context(), total_open=3734.56)
    with pytest.raises(TemplateProblem, match="money"):
        render(environment(), "relance_courtoise", "subject", ctx)


def test_a_too_long_sms_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "relance_courtoise.sms.txt", "{% for i in range(50) %}Bonjour {% endfor %}")
    with pytest.raises(TemplateProblem, match="320"):
        render(environment(tmp_path), "relance_courtoise", "sms.txt", sample_context())


def test_check_templates_reports_each_problem(tmp_path: Path) -> None:
    write(tmp_path, "relance_courtoise.subject.txt", "{{ nope }}")
    problems = check_templates(environment(tmp_path), ["relance_courtoise", "inconnu"],
                               sample_context())
    assert len(problems) == 1 + len(KINDS)
    assert problems[0].template == "fr/relance_courtoise.subject.txt"
    assert all("introuvable" in p.message for p in problems[1:])


def test_bad_names_and_kinds_are_problems() -> None:
    env = environment()
    with pytest.raises(TemplateProblem, match="type « pdf » inconnu"):
        render(env, "relance_courtoise", "pdf", sample_context())
    with pytest.raises(TemplateProblem, match="nom de modèle invalide"):
        render(env, "../secret", "subject", sample_context())


def test_html_is_escaped_and_text_is_not() -> None:
    ctx = sample_context()
    ctx["client"] = dict(ctx["client"], contact_name="<b>Paul & Fils</b>")  # type: ignore[call-overload]
    assert "&lt;b&gt;Paul &amp; Fils&lt;/b&gt;" in out("relance_courtoise", "email.html", ctx)
    assert "<b>Paul & Fils</b>" in out("relance_courtoise", "email.txt", ctx)

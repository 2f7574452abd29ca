"""Scenarios: YAML reading and validation, round trip, conditions, shipped files, choice."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from decimal import Decimal

import pytest

from relance.dunning.scenario import (
    CHANNELS,
    RISK_GRADES,
    UNRATED,
    Conditions,
    Scenario,
    ScenarioError,
    Segment,
    Step,
    choose_scenario,
    parse_scenario,
    scenario_to_yaml,
    shipped_scenarios,
)

BASE = """\
name: essai
label: Scénario d'essai
segment: {kinds: [b2b]}
steps:
  - key: rappel
    offset: 1
    channels: [email]
    template: rappel
    tone: courteous
    label: Rappel
  - key: appel
    offset: 7
    channels: [call]
    template: appel
    tone: firm
    label: Appel
  - key: mise_en_demeure
    offset: 30
    channels: [registered_letter, formal_notice]
    template: mise_en_demeure
    tone: formal
    label: Mise en demeure
    required: true
    deadline_days: 8
  - key: escalade
    offset: 45
    channels: [escalation]
    template: escalade
    tone: formal
    label: Escalade
"""


def parse(text: str = BASE) -> Scenario:
    return parse_scenario(text, "essai.yaml")


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    return caught.value


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def step_line(key: str, line: str) -> str:
    """BASE with `line` added to the step `key`."""
    anchor = f"  - key: {key}\n"
    assert anchor in BASE
    return BASE.replace(anchor, anchor + f"    {line}\n")


# Reading


def test_a_scenario_is_read_into_frozen_steps_in_file_order():
    s = parse()
    assert (s.name, s.label, s.priority) == ("essai", "Scénario d'essai", 0)
    assert s.segment == Segment(kinds=("b2b",))
    assert [st.key for st in s.steps] == ["rappel", "appel", "mise_en_demeure", "escalade"]
    assert s.steps[2].channels == ("registered_letter", "formal_notice")
    assert (s.steps[2].required, s.steps[2].deadline_days) == (True, 8)
    with pytest.raises(FrozenInstanceError):
        s.steps[0].offset = 3  # type: ignore[misc]


def test_approval_defaults_to_true_only_for_formal_notice_and_escalation_steps():
    s = parse()
    assert [st.approval for st in s.steps] == [False, False, True, True]
    assert [st.is_harsh for st in s.steps] == [False, False, True, True]


def test_an_explicit_approval_overrides_the_default():
    s = parse(step_line("escalade", "approval: false"))
    assert s.step("escalade").approval is False
    assert parse(step_line("appel", "approval: true")).step("appel").approval is True


def test_penalties_are_claimed_by_default_on_a_notice_sent_only_to_professionals():
    assert [st.claims_penalties for st in parse().steps] == [False, False, True, False]
    public = parse(BASE.replace("kinds: [b2b]", "kinds: [b2b, public]"))
    assert public.step("mise_en_demeure").claims_penalties is True


def test_penalties_are_not_claimed_by_default_when_a_consumer_could_receive_the_notice():
    consumers = parse(BASE.replace("kinds: [b2b]", "kinds: [b2c]"))
    assert consumers.step("mise_en_demeure").claims_penalties is False
    everyone = parse(BASE.replace("segment: {kinds: [b2b]}\n", ""))
    assert everyone.step("mise_en_demeure").claims_penalties is False
    # A condition narrowing the step to professionals restores the default.
    narrowed = parse(BASE.replace("segment: {kinds: [b2b]}\n", "").replace(
        "    deadline_days: 8\n", "    deadline_days: 8\n    conditions: {kinds: [b2b]}\n"))
    assert narrowed.step("mise_en_demeure").claims_penalties is True


def test_a_registered_letter_alone_also_claims_penalties_by_default_for_professionals():
    s = parse(BASE.replace("    channels: [call]\n", "    channels: [registered_letter]\n"))
    assert s.step("appel").claims_penalties is True


def test_a_single_code_is_accepted_where_a_list_is_expected():
    s = parse(BASE.replace("channels: [email]", "channels: email"))
    assert s.steps[0].channels == ("email",)


# Round trip


def test_yaml_written_by_scenario_to_yaml_reads_back_to_the_same_scenario():
    s = parse(step_line("appel", "conditions: {min_overdue: '1 500,50', kinds: [b2b, public], "
                                 "risk_grades: [C, D, non noté], late_causes: [forgetting]}")
              .replace("label: Scénario d'essai", "label: Scénario d'essai\npriority: 7")
              .replace("segment: {kinds: [b2b]}", "segment: {kinds: [b2b], risk_grades: [A]}"))
    assert s.step("appel").conditions == Conditions(
        min_overdue=Decimal("1500.50"), kinds=("b2b", "public"),
        risk_grades=("C", "D", UNRATED), late_causes=("forgetting",))
    text = scenario_to_yaml(s)
    assert parse_scenario(text) == s
    assert "min_overdue: '1500.50'" in text   # written as a string, never as a YAML float


def test_the_round_trip_keeps_explicit_values_that_differ_from_the_loader_defaults():
    s = parse(step_line("escalade", "approval: false"))
    s = replace(s, steps=(*s.steps[:2], replace(s.steps[2], claims_penalties=False),
                          s.steps[3]))
    assert parse_scenario(scenario_to_yaml(s)) == s


def test_every_shipped_scenario_round_trips():
    for s in shipped_scenarios():
        assert parse_scenario(scenario_to_yaml(s)) == s


# Amounts


@pytest.mark.parametrize(("written", "amount"), [
    ("500", Decimal("500.00")), ("'500'", Decimal("500.00")), ("'500,00'", Decimal("500.00")),
    ("'500.5'", Decimal("500.50")), ("'1 500,00 €'", Decimal("1500.00")),
    ("0", Decimal("0.00")), ("500.5", Decimal("500.50")), ("0.1", Decimal("0.10")),
    ("1234.56", Decimal("1234.56")),
])
def test_min_overdue_accepts_french_and_plain_amounts_exactly(written, amount):
    s = parse(step_line("appel", f"conditions: {{min_overdue: {written}}}"))
    found = s.step("appel").conditions.min_overdue
    assert found == amount and str(found) == str(amount)


@pytest.mark.parametrize("written", ["-5", "'-5,00'", "500.123", "'1,000'", "'abc'", "true",
                                     "'500,5,0'", "[500]", ".inf", "1e3"])
def test_min_overdue_refuses_what_is_not_a_non_negative_amount_in_cents(written):
    err = error_of(step_line("appel", f"conditions: {{min_overdue: {written}}}"))
    assert "étape 2 (« appel »), champ « conditions.min_overdue »" in err.message
    assert "attendu : un montant positif ou nul en euros" in err.message


# Validation messages: file, step number and key, field, value, what was expected


@pytest.mark.parametrize(("old", "new", "field", "value", "expected"), [
    ("tone: firm", "tone: rude", "tone", "rude", "une des valeurs courteous, firm, formal"),
    ("channels: [call]", "channels: [call, fax]", "channels", "fax",
     "une liste non vide, sans doublon, de canaux parmi " + ", ".join(CHANNELS)),
    ("channels: [call]", "channels: [call, call]", "channels", "call (en double)",
     "une liste non vide, sans doublon"),
    ("channels: [call]", "channels: []", "channels", "[]", "une liste non vide"),
    ("template: appel", "template: Appel-Ferme", "template", "Appel-Ferme",
     "un nom de modèle en minuscules"),
    ("offset: 7", "offset: dix", "offset", "dix", "un nombre entier de jours"),
    ("offset: 7", "offset: 7.5", "offset", "7.5", "un nombre entier de jours"),
    ("label: Appel", "label: ''", "label", "", "un texte non vide"),
    ("key: appel", "key: Appel Client", "key", "Appel Client", "un identifiant en minuscules"),
])
def test_an_invalid_step_field_is_named_with_file_step_value_and_expectation(
        old, new, field, value, expected):
    text = BASE.replace(f"{old}\n", f"{new}\n", 1)
    assert text != BASE
    err = error_of(text)
    assert err.message.startswith("essai.yaml, étape 2")
    assert f"champ « {field} » : valeur « {value} » invalide" in err.message
    assert f"attendu : {expected}" in err.message
    assert err.errors == (err.message,)


def test_the_step_key_is_named_when_it_is_valid():
    err = error_of(BASE.replace("tone: firm", "tone: rude"))
    assert "essai.yaml, étape 2 (« appel »), champ « tone » : valeur « rude »" in err.message


@pytest.mark.parametrize(("line", "field", "value", "expected"), [
    ("conditions: {kinds: [pro]}", "conditions.kinds", "pro", "b2b, b2c, public"),
    ("conditions: {risk_grades: [Z]}", "conditions.risk_grades", "Z", ", ".join(RISK_GRADES)),
    ("conditions: {late_causes: [laziness]}", "conditions.late_causes", "laziness",
     "forgetting, dispute, financial_difficulty"),
    ("deadline_days: -1", "deadline_days", "-1", "positif ou nul"),
    ("required: oui", "required", "oui", "true ou false"),
])
def test_an_invalid_optional_field_is_named_with_its_value_and_expectation(
        line, field, value, expected):
    err = error_of(step_line("appel", line))
    assert err.message.startswith("essai.yaml, étape 2 (« appel »)")
    assert f"champ « {field} » : valeur « {value} » invalide" in err.message
    assert expected in err.message


def test_an_unknown_segment_kind_is_named_with_its_field():
    err = error_of(BASE.replace("kinds: [b2b]", "kinds: [entreprise]"))
    assert err.message == ("essai.yaml, champ « segment.kinds » : valeur « entreprise » invalide ;"
                           " attendu : une liste de types de client parmi b2b, b2c, public.")


def test_an_unknown_field_is_refused_with_the_list_of_possible_fields():
    err = error_of(step_line("appel", "tonalite: ferme"))
    assert err.message.startswith("essai.yaml, étape 2 (« appel ») : champ « tonalite » inconnu")
    assert "champs possibles : key, offset, channels, template, tone, label" in err.message
    top = error_of(BASE.replace("name: essai", "name: essai\nauteur: moi"))
    assert "essai.yaml : champ « auteur » inconnu" in top.message


def test_a_missing_field_is_named_with_what_is_expected():
    err = error_of(BASE.replace("    label: Appel\n", ""))
    assert err.message == ("essai.yaml, étape 2 (« appel ») : champ « label » manquant ; "
                           "attendu : un texte non vide.")
    top = error_of(BASE.replace("name: essai\n", ""))
    assert top.message.startswith("essai.yaml : champ « name » manquant")


def test_a_step_that_is_not_a_mapping_is_refused():
    err = error_of(BASE.replace("steps:\n", "steps:\n  - juste un texte\n"))
    assert err.message.startswith("essai.yaml, étape 1 : valeur « juste un texte » invalide")
    assert "un dictionnaire" in err.message


def test_an_empty_step_list_is_refused():
    err = error_of(BASE[:BASE.index("steps:")] + "steps: []\n")
    assert "champ « steps » : valeur « [] » invalide ; attendu : une liste d'étapes non vide" \
        in err.message


def test_a_yaml_syntax_error_names_the_file_and_the_line():
    err = error_of(BASE.replace("    tone: firm\n", "    tone: firm: yes\n"))
    assert err.message.startswith("essai.yaml, ligne 15, colonne 15 : YAML invalide")
    assert "attendu : un fichier YAML bien formé" in err.message


def test_a_tab_indentation_is_explained_in_french():
    err = error_of(BASE.replace("    tone: firm\n", "\ttone: firm\n"))
    assert "ligne 15" in err.message and "tabulation : indentez avec des espaces" in err.message


def test_a_field_written_twice_in_one_mapping_is_refused_with_its_line():
    err = error_of(step_line("appel", "offset: 9"))
    assert err.message.startswith("essai.yaml, ligne 13, colonne 5 : YAML invalide")
    assert "champ « offset » écrit deux fois (lignes 12 et 13)" in err.message


@pytest.mark.parametrize(("text", "said"), [
    ("", "essai.yaml : fichier vide"),
    ("- a\n- b\n", "essai.yaml : valeur « [a, b] » invalide"),
    ("juste du texte", "essai.yaml : valeur « juste du texte » invalide"),
])
def test_a_document_that_is_not_a_mapping_is_refused(text, said):
    err = error_of(text)
    assert err.message.startswith(said)
    assert "attendu : un scénario" in err.message


def test_duplicate_step_keys_are_refused_naming_both_steps():
    err = error_of(BASE.replace("key: escalade", "key: appel"))
    assert err.message == ("essai.yaml, étape 4 (« appel »), champ « key » : valeur « appel » "
                           "déjà utilisée par l'étape 2 ; attendu : une clé unique dans le "
                           "scénario.")


@pytest.mark.parametrize("offset", ["7", "3"])
def test_offsets_must_strictly_increase_in_file_order(offset):
    err = error_of(BASE.replace("offset: 30", f"offset: {offset}"))
    assert err.message.startswith("essai.yaml, étape 3 (« mise_en_demeure »), champ « offset » : "
                                  f"valeur « {offset} » invalide")
    assert "strictement supérieur à celui de l'étape 2 (« appel », 7 jours)" in err.message


def test_a_second_formal_notice_is_refused():
    err = error_of(BASE.replace("channels: [escalation]", "channels: [formal_notice]"))
    assert ("essai.yaml, étape 4 (« escalade »), champ « channels » : valeur « formal_notice » "
            "invalide ; attendu : une seule mise en demeure par scénario (l'étape 3 en est déjà "
            "une).") in err.errors


def test_a_formal_notice_that_is_not_required_is_refused():
    err = error_of(BASE.replace("    required: true\n", ""))
    assert err.message == ("essai.yaml, étape 3 (« mise_en_demeure »), champ « required » : "
                           "valeur « false » invalide ; attendu : true, car une mise en demeure "
                           "(formal_notice) ne doit jamais être sautée.")


def test_every_error_of_a_file_is_reported_at_once_one_per_line():
    err = error_of(BASE.replace("tone: firm", "tone: rude").replace("template: escalade",
                                                                   "template: Escalade!"))
    assert len(err.errors) == 2
    assert err.message.splitlines() == list(err.errors)
    assert "étape 2 (« appel »)" in err.errors[0] and "étape 4 (« escalade »)" in err.errors[1]


def test_the_default_source_name_is_used_when_none_is_given():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("[]")
    assert caught.value.message.startswith("scénario : ")


# Conditions, segments, steps


def test_conditions_without_restriction_allow_everything():
    assert Conditions().allows(overdue=Decimal("0"), kind="b2c", risk_grade=UNRATED,
                               late_cause=None)
    assert Conditions().describe_fr() == "aucune condition"


def test_the_minimum_overdue_is_inclusive():
    c = Conditions(min_overdue=Decimal("500.00"))
    common = {"kind": "b2b", "risk_grade": UNRATED, "late_cause": None}
    assert c.allows(overdue=Decimal("500.00"), **common)
    assert not c.allows(overdue=Decimal("499.99"), **common)


def test_kinds_grades_and_causes_each_restrict_a_step():
    c = Conditions(kinds=("b2b",), risk_grades=("C", "D"), late_causes=("bad_faith",))
    ok = {"overdue": Decimal("1"), "kind": "b2b", "risk_grade": "C", "late_cause": "bad_faith"}
    assert c.allows(**ok)
    assert not c.allows(**{**ok, "kind": "b2c"})
    assert not c.allows(**{**ok, "risk_grade": UNRATED})
    assert not c.allows(**{**ok, "late_cause": "forgetting"})
    assert not c.allows(**{**ok, "late_cause": None})


def test_a_client_without_a_recorded_cause_counts_as_cause_unknown():
    c = Conditions(late_causes=("unknown",))
    assert c.allows(overdue=Decimal("1"), kind="b2b", risk_grade=UNRATED, late_cause=None)


def test_describe_fr_says_in_french_why_a_step_does_not_apply():
    assert plain(Conditions(min_overdue=Decimal("500.00")).describe_fr()) == \
        "montant échu inférieur à 500,00 €"
    text = plain(Conditions(min_overdue=Decimal("1500"), kinds=("b2b", "public"),
                            risk_grades=("D",), late_causes=("bad_faith", "dispute"))
                 .describe_fr())
    assert text == ("montant échu inférieur à 1 500,00 € ou client autre que professionnel ou "
                    "secteur public ou note de risque autre que D ou cause du retard autre que "
                    "mauvaise foi ou litige")


def test_a_segment_matches_on_kind_and_grade_and_empty_means_all():
    assert Segment().matches("b2c", UNRATED)
    assert Segment(kinds=("b2b", "public")).matches("public", UNRATED)
    assert not Segment(kinds=("b2b",)).matches("b2c", UNRATED)
    assert not Segment(risk_grades=("D",)).matches("b2b", UNRATED)


def test_steps_are_found_by_key_and_an_unknown_key_is_a_french_error():
    s = parse()
    assert s.index("mise_en_demeure") == 2
    assert s.step("appel").tone == "firm"
    with pytest.raises(ScenarioError) as caught:
        s.step("fax")
    assert caught.value.message == ("Étape « fax » inconnue dans le scénario « essai » ; étapes "
                                    "disponibles : rappel, appel, mise_en_demeure, escalade.")


def test_every_client_starts_unrated():
    assert UNRATED == "non noté" and UNRATED in RISK_GRADES


# Shipped scenarios, as the seed articles describe the practice


def shipped(name: str) -> Scenario:
    return next(s for s in shipped_scenarios() if s.name == name)


def test_standard_particuliers_and_renforce_are_shipped_for_their_segments():
    assert {s.name for s in shipped_scenarios()} == {"standard", "particuliers", "renforce"}
    assert shipped("standard").segment == Segment(kinds=("b2b", "public"))
    assert shipped("particuliers").segment == Segment(kinds=("b2c",))
    assert shipped("renforce").segment == Segment(kinds=("b2b",), risk_grades=("D", "E"))


@pytest.mark.parametrize("grade, chosen", [("A", "standard"), ("C", "standard"),
                                           ("D", "renforce"), ("E", "renforce"),
                                           ("non noté", "standard")])
def test_the_risk_grade_chooses_the_reinforced_scenario(grade, chosen):
    assert choose_scenario(shipped_scenarios(), "b2b", grade).name == chosen
    assert choose_scenario(shipped_scenarios(), "public", grade).name == "standard"


@pytest.mark.parametrize("name", ["standard", "particuliers"])
def test_shipped_steps_follow_the_seeds_from_courtesy_to_the_legal_route(name):
    steps = shipped(name).steps
    kinds = [st.channels for st in steps]
    assert kinds == [("email",), ("email",), ("call",), ("email", "letter"), ("call",),
                     ("registered_letter", "formal_notice"), ("escalation",)]
    # a courteous reminder a few days before the due date, an email the day after,
    # a call about a week after
    assert -7 <= steps[0].offset < 0 and steps[0].tone == "courteous"
    assert steps[1].offset == 1 and steps[1].tone == "courteous"
    assert steps[2].offset == 7
    # the second written reminder is firmer; tones never soften along the scenario
    order = ["courteous", "firm", "formal"]
    assert steps[3].tone == "firm"
    assert [order.index(st.tone) for st in steps] == sorted(order.index(st.tone) for st in steps)
    # written and spoken contacts alternate before the notice
    spoken = ["call" in st.channels for st in steps[1:5]]
    assert spoken == [False, True, False, True]


def test_the_reinforced_scenario_calls_sooner_and_reaches_the_notice_sooner():
    fast, normal = shipped("renforce"), shipped("standard")
    assert fast.steps[1].channels == ("call",) and fast.steps[1].offset == 1
    assert fast.step("mise_en_demeure").offset < normal.step("mise_en_demeure").offset
    assert fast.steps[-1].offset < normal.steps[-1].offset
    order = ["courteous", "firm", "formal"]
    assert [order.index(st.tone) for st in fast.steps] == sorted(
        order.index(st.tone) for st in fast.steps)
    # the keys it shares with the standard scenario let a client switch without repeats
    assert {st.key for st in fast.steps} - {st.key for st in normal.steps} == {"appel_lendemain"}


@pytest.mark.parametrize("name", ["standard", "particuliers", "renforce"])
def test_the_shipped_formal_notice_is_required_approved_and_leaves_eight_days(name):
    s = shipped(name)
    notice = s.step("mise_en_demeure")
    assert notice.channels == ("registered_letter", "formal_notice")
    assert notice.required and notice.approval and notice.deadline_days == 8
    escalation = s.steps[-1]
    assert escalation.channels == ("escalation",) and escalation.approval
    # after the notice's deadline, counting 3 days for the registered letter to arrive
    assert escalation.offset > notice.offset + 3 + notice.deadline_days
    assert sum("formal_notice" in st.channels for st in s.steps) == 1
    assert [st.approval for st in s.steps] == [st.is_harsh for st in s.steps]


def test_only_the_professional_notice_claims_penalties():
    assert shipped("standard").step("mise_en_demeure").claims_penalties is True
    assert shipped("particuliers").step("mise_en_demeure").claims_penalties is False
    assert not any(st.claims_penalties for s in shipped_scenarios() for st in s.steps
                   if "formal_notice" not in st.channels)


def test_shipped_labels_are_french():
    for s in shipped_scenarios():
        assert "Relance" in s.label
        assert all(st.label and st.label[0].isupper() for st in s.steps)
    assert shipped("standard").step("mise_en_demeure").label.startswith("Mise en demeure")


# Choosing a scenario


def scenario(name: str, priority: int = 0, **segment: tuple[str, ...]) -> Scenario:
    step = Step("rappel", 1, ("email",), "rappel", "courteous", "Rappel")
    return Scenario(name, name, (step,), Segment(**segment), priority)


def test_an_override_by_name_wins_over_segments():
    chosen = choose_scenario([scenario("standard"), scenario("vip", kinds=("b2c",))], "b2b",
                             UNRATED, override="vip")
    assert chosen.name == "vip"


def test_an_unknown_override_is_a_french_error_listing_the_scenarios():
    with pytest.raises(ScenarioError) as caught:
        choose_scenario([scenario("standard"), scenario("vip")], "b2b", UNRATED, "gold")
    assert caught.value.message == ("Scénario « gold » inconnu ; scénarios disponibles : "
                                    "standard, vip.")


def test_an_empty_override_means_no_override():
    assert choose_scenario([scenario("standard")], "b2b", UNRATED, "").name == "standard"


def test_the_highest_priority_matching_segment_wins():
    scenarios = [scenario("standard", kinds=("b2b",)), scenario("risque", 5, risk_grades=("D",)),
                 scenario("grand", 9, kinds=("public",))]
    assert choose_scenario(scenarios, "b2b", "D").name == "risque"
    assert choose_scenario(scenarios, "b2b", UNRATED).name == "standard"
    assert choose_scenario(scenarios, "public", "D").name == "grand"


def test_on_equal_priority_the_first_listed_scenario_wins():
    scenarios = [scenario("charge", kinds=("b2b",)), scenario("standard", kinds=("b2b",))]
    assert choose_scenario(scenarios, "b2b", UNRATED).name == "charge"


def test_without_a_matching_segment_the_standard_scenario_is_used():
    scenarios = [scenario("particuliers", kinds=("b2c",)), scenario("standard", kinds=("b2b",))]
    assert choose_scenario(scenarios, "public", UNRATED).name == "standard"


def test_without_a_match_nor_a_standard_scenario_the_error_is_french():
    with pytest.raises(ScenarioError) as caught:
        choose_scenario([scenario("particuliers", kinds=("b2c",))], "public", UNRATED)
    assert caught.value.message == ("Aucun scénario ne convient à un client secteur public "
                                    "(note « non noté ») et le scénario « standard » est absent.")


@pytest.mark.parametrize(("kind", "name"), [("b2b", "standard"), ("public", "standard"),
                                            ("b2c", "particuliers")])
def test_shipped_scenarios_are_chosen_by_client_kind(kind, name):
    assert choose_scenario(shipped_scenarios(), kind, UNRATED).name == name

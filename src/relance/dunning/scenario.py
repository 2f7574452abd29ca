r"""Dunning scenarios: ordered steps read from YAML, validated, and chosen for each client.

A scenario says what to do, and when, counted in days from an invoice's due date:

>>> s = parse_scenario('''
... name: court
... label: Scénario court
... segment: {kinds: [b2b]}
... steps:
...   - {key: rappel, offset: 1, channels: [email], template: rappel, tone: courteous,
...      label: Rappel, conditions: {min_overdue: "500,00"}}
...   - {key: mise_en_demeure, offset: 30, channels: [registered_letter, formal_notice],
...      template: mise_en_demeure, tone: formal, label: Mise en demeure, required: true,
...      deadline_days: 8}
... ''', "court.yaml")
>>> [(st.key, st.approval, st.claims_penalties) for st in s.steps]
[('rappel', False, False), ('mise_en_demeure', True, True)]
>>> s.steps[0].conditions.describe_fr().replace("\u202f", " ").replace("\xa0", " ")
'montant échu inférieur à 500,00 €'
>>> parse_scenario(scenario_to_yaml(s)) == s
True
>>> try:
...     parse_scenario(scenario_to_yaml(s).replace("tone: formal", "tone: rude"), "court.yaml")
... except ScenarioError as err:
...     print(err.message)  # doctest: +NORMALIZE_WHITESPACE
court.yaml, étape 2 (« mise_en_demeure »), champ « tone » : valeur « rude » invalide ;
attendu : une des valeurs courteous, firm, formal.

Validation collects every error of a file (one French line each, in `ScenarioError.errors`);
only a YAML syntax error or a document that is not a mapping stops it at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import yaml

from relance.domain.money import money
from relance.i18n import format_money

CHANNELS = ("email", "letter", "call", "sms", "registered_letter", "formal_notice", "escalation")
TONES = ("courteous", "firm", "formal")
LATE_CAUSES = ("forgetting", "dispute", "financial_difficulty", "internal_process", "bad_faith",
               "unknown")
CLIENT_KINDS = ("b2b", "b2c", "public")
UNRATED = "non noté"  # the grade of a client never scored yet
# The grades of the reliability score (relance.risk.score.GRADES); UNRATED is always valid.
RISK_GRADES = ("A", "B", "C", "D", "E", UNRATED)

# French names of the codes, for what users read (messages, lists in the UI and the CLI).
CHANNEL_LABELS = {
    "email": "courriel", "letter": "courrier", "call": "appel téléphonique", "sms": "SMS",
    "registered_letter": "lettre recommandée avec accusé de réception",
    "formal_notice": "mise en demeure", "escalation": "recouvrement (escalade)",
}
TONE_LABELS = {"courteous": "courtois", "firm": "ferme", "formal": "formel"}
LATE_CAUSE_LABELS = {
    "forgetting": "oubli", "dispute": "litige", "financial_difficulty": "difficultés financières",
    "internal_process": "circuit de validation interne", "bad_faith": "mauvaise foi",
    "unknown": "cause inconnue",
}
CLIENT_KIND_LABELS = {"b2b": "professionnel", "b2c": "particulier", "public": "secteur public"}

_HARSH = ("formal_notice", "escalation")
_PENALTY_CHANNELS = ("formal_notice", "registered_letter")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_KEY = re.compile(r"[a-z0-9_]+")
_AMOUNT = re.compile(r"\d+(?:[.,]\d{1,2})?")
T = TypeVar("T")


class ScenarioError(Exception):
    """A scenario file, or a scenario name, is invalid; `message` says where and why (French)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.message = message
        self.errors = tuple(errors) or (message,)
        super().__init__(message)


@dataclass(frozen=True)
class Conditions:
    """When a step applies; an empty field means no restriction."""

    min_overdue: Decimal | None = None  # minimum open overdue amount of the invoices concerned
    kinds: tuple[str, ...] = ()  # empty = every client kind
    risk_grades: tuple[str, ...] = ()  # empty = every grade
    late_causes: tuple[str, ...] = ()  # empty = any cause (including none)

    def allows(self, *, overdue: Decimal, kind: str, risk_grade: str,
               late_cause: str | None) -> bool:
        """Whether a client in this situation gets the step (no recorded cause = "unknown")."""
        if self.min_overdue is not None and overdue < self.min_overdue:
            return False
        if self.kinds and kind not in self.kinds:
            return False
        if self.risk_grades and risk_grade not in self.risk_grades:
            return False
        return not self.late_causes or (late_cause or "unknown") in self.late_causes

    def describe_fr(self) -> str:
        """Why a step does not apply, in French: each unmet condition, joined by « ou »."""
        parts = []
        if self.min_overdue is not None:
            parts.append(f"montant échu inférieur à {format_money(self.min_overdue)}")
        if self.kinds:
            parts.append("client autre que " + _names(self.kinds, CLIENT_KIND_LABELS, " ou "))
        if self.risk_grades:
            parts.append("note de risque autre que " + _names(self.risk_grades, {}, " ou "))
        if self.late_causes:
            parts.append("cause du retard autre que "
                         + _names(self.late_causes, LATE_CAUSE_LABELS, " ou "))
        return " ou ".join(parts) or "aucune condition"


@dataclass(frozen=True)
class Step:
    """One step of a scenario: when (`offset` days from the due date), how and in which tone."""

    key: str
    offset: int
    channels: tuple[str, ...]
    template: str
    tone: str
    label: str
    conditions: Conditions = Conditions()
    required: bool = False
    approval: bool = False  # loader default: True when channels include formal_notice/escalation
    deadline_days: int = 0  # e.g. 8 for "sous 8 jours à compter de sa réception" (formal notice)
    claims_penalties: bool = False  # loader default: True for notices sent only to b2b/public

    @property
    def is_harsh(self) -> bool:
        """A formal notice or an escalation: a step a person approves by default."""
        return any(c in _HARSH for c in self.channels)


@dataclass(frozen=True)
class Segment:
    """The clients a scenario is meant for; an empty field means every value."""

    kinds: tuple[str, ...] = ()
    risk_grades: tuple[str, ...] = ()

    def matches(self, kind: str, risk_grade: str) -> bool:
        """Whether a client of this kind and grade belongs to the segment."""
        return ((not self.kinds or kind in self.kinds)
                and (not self.risk_grades or risk_grade in self.risk_grades))


@dataclass(frozen=True)
class Scenario:
    """A named sequence of steps, in increasing offset order."""

    name: str
    label: str
    steps: tuple[Step, ...]
    segment: Segment = Segment()
    priority: int = 0

    def step(self, key: str) -> Step:
        """The step with this key (ScenarioError if there is none)."""
        return self.steps[self.index(key)]

    def index(self, key: str) -> int:
        """The position of the step with this key (ScenarioError if there is none)."""
        for i, step in enumerate(self.steps):
            if step.key == key:
                return i
        keys = ", ".join(s.key for s in self.steps)
        raise ScenarioError(f"Étape « {key} » inconnue dans le scénario « {self.name} » ; "
                            f"étapes disponibles : {keys}.")


# Loading


def parse_scenario(text: str, source: str = "scénario") -> Scenario:
    """Read a scenario from YAML text; ScenarioError lists every problem, in French."""
    raw = _load_yaml(text, source)
    errors: list[str] = []
    top = _Reader(raw, source, "", errors)
    top.check_keys(_TOP_EXPECTED, required=("name", "label", "steps"))
    name = top.get("name", _name, _TOP_EXPECTED["name"], "")
    label = top.get("label", _text, _TOP_EXPECTED["label"], "")
    priority = top.get("priority", _int, _TOP_EXPECTED["priority"], 0)
    segment = Segment()
    seg_raw = top.get("segment", _mapping, _TOP_EXPECTED["segment"], None)
    if seg_raw is not None:
        seg = _Reader(seg_raw, source, "segment.", errors)
        seg.check_keys(_SEGMENT_EXPECTED, required=())
        segment = Segment(kinds=seg.choices("kinds", CLIENT_KINDS, _SEGMENT_EXPECTED["kinds"]),
                          risk_grades=seg.choices("risk_grades", RISK_GRADES,
                                                  _SEGMENT_EXPECTED["risk_grades"]))
    steps_raw: list[Any] = top.get("steps", _nonempty_list, _TOP_EXPECTED["steps"], [])
    steps = [_step(item, n, source, segment, errors) for n, item in enumerate(steps_raw, 1)]
    _check_sequence(steps, errors)
    if errors:
        raise ScenarioError("\n".join(errors), errors)
    return Scenario(name, label, tuple(s for _, s in steps if s is not None), segment, priority)


def scenario_to_yaml(s: Scenario) -> str:
    """The YAML text of a scenario, every field explicit, that parse_scenario reads back."""
    doc: dict[str, Any] = {"name": s.name, "label": s.label, "priority": s.priority}
    segment = {k: list(v) for k, v in (("kinds", s.segment.kinds),
                                        ("risk_grades", s.segment.risk_grades)) if v}
    if segment:
        doc["segment"] = segment
    doc["steps"] = [_step_doc(step) for step in s.steps]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=100)


@cache
def shipped_scenarios() -> tuple[Scenario, ...]:
    """The scenarios shipped with Relance (package data dunning/scenarios/*.yaml)."""
    folder = resources.files("relance.dunning").joinpath("scenarios")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return tuple(parse_scenario(f.read_text("utf-8"), f"scenarios/{f.name}") for f in files)


def choose_scenario(scenarios: Sequence[Scenario], kind: str, risk_grade: str,
                    override: str | None = None) -> Scenario:
    """The override by name, else the highest-priority matching segment (first on ties),
    else the scenario named "standard"."""
    if override:
        for scenario in scenarios:
            if scenario.name == override:
                return scenario
        names = ", ".join(s.name for s in scenarios) or "aucun"
        raise ScenarioError(f"Scénario « {override} » inconnu ; scénarios disponibles : {names}.")
    matching = [s for s in scenarios if s.segment.matches(kind, risk_grade)]
    if matching:
        return max(matching, key=lambda s: s.priority)  # max keeps the first of equals
    for scenario in scenarios:
        if scenario.name == "standard":
            return scenario
    who = CLIENT_KIND_LABELS.get(kind, kind)
    raise ScenarioError(f"Aucun scénario ne convient à un client {who} (note « {risk_grade} ») "
                        "et le scénario « standard » est absent.")


# What each field expects, in French: used by every error message.

_TOP_EXPECTED = {
    "name": "un identifiant en minuscules (lettres, chiffres, « _ » ou « - »), ex. « standard »",
    "label": "un texte non vide",
    "priority": "un nombre entier (le plus grand l'emporte parmi les scénarios qui conviennent)",
    "segment": "un dictionnaire avec kinds et/ou risk_grades",
    "steps": "une liste d'étapes non vide",
}
_SEGMENT_EXPECTED = {
    "kinds": "une liste de types de client parmi " + ", ".join(CLIENT_KINDS),
    "risk_grades": "une liste de notes de risque parmi " + ", ".join(RISK_GRADES),
}
_STEP_EXPECTED = {
    "key": "un identifiant en minuscules (lettres, chiffres, « _ »), unique dans le scénario",
    "offset": "un nombre entier de jours par rapport à l'échéance (négatif avant, positif après)",
    "channels": "une liste non vide, sans doublon, de canaux parmi " + ", ".join(CHANNELS),
    "template": "un nom de modèle en minuscules, chiffres et « _ » (ex. « relance_ferme »)",
    "tone": "une des valeurs " + ", ".join(TONES),
    "label": "un texte non vide",
    "conditions": "un dictionnaire avec min_overdue, kinds, risk_grades et/ou late_causes",
    "required": "true ou false",
    "approval": "true ou false",
    "deadline_days": "un nombre entier de jours positif ou nul",
    "claims_penalties": "true ou false",
}
_CONDITIONS_EXPECTED = {
    "min_overdue": "un montant positif ou nul en euros, deux décimales au plus "
                   "(ex. 500 ou « 500,00 »)",
    "kinds": _SEGMENT_EXPECTED["kinds"],
    "risk_grades": _SEGMENT_EXPECTED["risk_grades"],
    "late_causes": "une liste de causes de retard parmi " + ", ".join(LATE_CAUSES),
}
_STEP_REQUIRED = ("key", "offset", "channels", "template", "tone", "label")


def _step(item: Any, n: int, source: str, segment: Segment,
          errors: list[str]) -> tuple[str, Step | None]:
    """One step (None if invalid) and the text that locates it in messages."""
    key = item.get("key") if isinstance(item, dict) else None
    where = f"{source}, étape {n}" + (f" (« {key} »)" if isinstance(key, str) and key else "")
    if not isinstance(item, dict):
        errors.append(f"{where} : {_show(item)} invalide ; attendu : un dictionnaire avec les "
                      f"champs {', '.join(_STEP_REQUIRED)}.")
        return where, None
    before = len(errors)
    r = _Reader(item, where, "", errors)
    r.check_keys(_STEP_EXPECTED, required=_STEP_REQUIRED)
    conditions = Conditions()
    cond_raw = r.get("conditions", _mapping, _STEP_EXPECTED["conditions"], None)
    if cond_raw is not None:
        cr = _Reader(cond_raw, where, "conditions.", errors)
        cr.check_keys(_CONDITIONS_EXPECTED, required=())
        conditions = Conditions(
            min_overdue=cr.get("min_overdue", _amount, _CONDITIONS_EXPECTED["min_overdue"], None),
            kinds=cr.choices("kinds", CLIENT_KINDS, _CONDITIONS_EXPECTED["kinds"]),
            risk_grades=cr.choices("risk_grades", RISK_GRADES,
                                   _CONDITIONS_EXPECTED["risk_grades"]),
            late_causes=cr.choices("late_causes", LATE_CAUSES,
                                   _CONDITIONS_EXPECTED["late_causes"]))
    channels = r.choices("channels", CHANNELS, _STEP_EXPECTED["channels"], nonempty=True)
    # Penalties are claimed by default only when no consumer can receive the notice.
    kinds = conditions.kinds or segment.kinds or CLIENT_KINDS
    penalties = any(c in _PENALTY_CHANNELS for c in channels) and "b2c" not in kinds
    step = Step(
        key=r.get("key", _key, _STEP_EXPECTED["key"], ""),
        offset=r.get("offset", _int, _STEP_EXPECTED["offset"], 0),
        channels=channels,
        template=r.get("template", _key, _STEP_EXPECTED["template"], ""),
        tone=r.get("tone", _one_of(TONES), _STEP_EXPECTED["tone"], ""),
        label=r.get("label", _text, _STEP_EXPECTED["label"], ""),
        conditions=conditions,
        required=r.get("required", _bool, _STEP_EXPECTED["required"], False),
        approval=r.get("approval", _bool, _STEP_EXPECTED["approval"],
                       any(c in _HARSH for c in channels)),
        deadline_days=r.get("deadline_days", _days, _STEP_EXPECTED["deadline_days"], 0),
        claims_penalties=r.get("claims_penalties", _bool, _STEP_EXPECTED["claims_penalties"],
                               penalties),
    )
    return where, (step if len(errors) == before else None)


def _check_sequence(steps: list[tuple[str, Step | None]], errors: list[str]) -> None:
    """Rules across steps: unique keys, increasing offsets, one required formal notice."""
    seen: dict[str, int] = {}
    previous: tuple[int, Step] | None = None
    notice: int | None = None
    for n, (where, step) in enumerate(steps, 1):
        if step is None:
            continue
        if step.key in seen:
            errors.append(f"{where}, champ « key » : valeur « {step.key} » déjà utilisée par "
                          f"l'étape {seen[step.key]} ; attendu : une clé unique dans le scénario.")
        seen.setdefault(step.key, n)
        if previous is not None and step.offset <= previous[1].offset:
            errors.append(
                f"{where}, champ « offset » : valeur « {step.offset} » invalide ; attendu : un "
                f"décalage strictement supérieur à celui de l'étape {previous[0]} "
                f"(« {previous[1].key} », {previous[1].offset} jours), car les étapes se suivent "
                "dans l'ordre du fichier.")
        previous = (n, step)
        if "formal_notice" in step.channels:
            if notice is not None:
                errors.append(
                    f"{where}, champ « channels » : valeur « formal_notice » invalide ; attendu : "
                    f"une seule mise en demeure par scénario (l'étape {notice} en est déjà une).")
            notice = notice or n
            if not step.required:
                errors.append(
                    f"{where}, champ « required » : valeur « false » invalide ; attendu : true, "
                    "car une mise en demeure (formal_notice) ne doit jamais être sautée.")


def _step_doc(step: Step) -> dict[str, Any]:
    """A step as a plain mapping for YAML, every field explicit."""
    doc: dict[str, Any] = {
        "key": step.key, "offset": step.offset, "channels": list(step.channels),
        "template": step.template, "tone": step.tone, "label": step.label,
        "required": step.required, "approval": step.approval,
        "deadline_days": step.deadline_days, "claims_penalties": step.claims_penalties,
    }
    c = step.conditions
    conditions: dict[str, Any] = {}
    if c.min_overdue is not None:
        conditions["min_overdue"] = str(c.min_overdue)  # a string: YAML would read a float
    for name, values in (("kinds", c.kinds), ("risk_grades", c.risk_grades),
                         ("late_causes", c.late_causes)):
        if values:
            conditions[name] = list(values)
    if conditions:
        doc["conditions"] = conditions
    return doc


# YAML reading


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key written twice in one mapping (YAML keeps the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"champ « {key} » écrit deux fois (lignes {seen[key]} et {line})",
                key_node.start_mark)
        if isinstance(key, str):
            seen[key] = line
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# PyYAML's messages are English; the frequent ones are translated, the others quoted.
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "« : » inattendu (indentation ou guillemets ?)",
    "could not find expected ':'": "« : » attendu après le nom du champ",
    "found character '\\t' that cannot start any token": "tabulation : indentez avec des espaces",
    "expected <block end>, but found '-'": "élément de liste mal indenté",
    "found unexpected end of stream": "guillemet ou crochet non fermé",
}


def _load_yaml(text: str, source: str) -> dict[Any, Any]:
    """The document's top mapping, or ScenarioError (syntax with its line, or wrong shape)."""
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # safe: _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = err.problem or "syntaxe invalide"
        problem = _YAML_PROBLEMS.get(problem, problem if "«" in problem
                                     else f"syntaxe invalide : {problem}")
        raise ScenarioError(f"{source}{at} : YAML invalide ({problem}) ; attendu : un fichier "
                            "YAML bien formé.") from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"{source} : YAML illisible ({err}) ; attendu : un fichier YAML "
                            "bien formé.") from None
    if not isinstance(raw, dict):
        got = "fichier vide" if raw is None else f"{_show(raw)} invalide"
        raise ScenarioError(f"{source} : {got} ; attendu : un scénario, c'est-à-dire un "
                            "dictionnaire YAML avec les champs name, label et steps.")
    return raw


class _Reader:
    """Reads the fields of one YAML mapping, recording French errors instead of raising."""

    def __init__(self, raw: dict[Any, Any], where: str, prefix: str, errors: list[str]) -> None:
        self.raw, self.where, self.prefix, self.errors = raw, where, prefix, errors

    def check_keys(self, expected: Mapping[str, str], required: Sequence[str]) -> None:
        """Unknown fields and missing required ones."""
        for name in self.raw:
            if name not in expected:
                self.errors.append(f"{self.where} : champ « {self.prefix}{name} » inconnu ; "
                                   f"champs possibles : {', '.join(expected)}.")
        for name in required:
            if name not in self.raw:
                self.errors.append(f"{self.where} : champ « {self.prefix}{name} » manquant ; "
                                   f"attendu : {expected[name]}.")

    def get(self, name: str, check: Callable[[Any], T | None], expected: str,
            default: T) -> T:
        """The checked value of a field, or `default` when absent or invalid (error noted)."""
        if name not in self.raw:
            return default
        value = check(self.raw[name])
        if value is None:
            self.bad(name, self.raw[name], expected)
            return default
        return value

    def choices(self, name: str, allowed: Sequence[str], expected: str, *,
                nonempty: bool = False) -> tuple[str, ...]:
        """A list of codes from `allowed` (a single code is accepted as a one-item list)."""
        if name not in self.raw:
            return ()
        value = self.raw[name]
        items = [value] if isinstance(value, str) else value
        if (not isinstance(items, list) or not all(isinstance(i, str) for i in items)
                or (nonempty and not items)):
            self.bad(name, value, expected)
            return ()
        unknown = [i for i in items if i not in allowed]
        doubles = sorted({i for i in items if items.count(i) > 1})
        if unknown or doubles:
            shown = ", ".join(unknown) if unknown else ", ".join(doubles) + " (en double)"
            self.errors.append(f"{self.where}, champ « {self.prefix}{name} » : valeur « {shown} »"
                               f" invalide ; attendu : {expected}.")
            return ()
        return tuple(items)

    def bad(self, name: str, value: Any, expected: str) -> None:
        """Record an invalid value."""
        self.errors.append(f"{self.where}, champ « {self.prefix}{name} » : {_show(value)} "
                           f"invalide ; attendu : {expected}.")


def _show(value: Any) -> str:
    """A YAML value as users wrote it, for messages."""
    if value is None:
        return "valeur vide"
    if isinstance(value, bool):
        return f"valeur « {str(value).lower()} »"
    if isinstance(value, list):
        return "valeur « [" + ", ".join(str(v) for v in value) + "] »"
    if isinstance(value, dict):
        return "un dictionnaire"
    return f"valeur « {value} »"


def _names(codes: Sequence[str], labels: Mapping[str, str], sep: str) -> str:
    return sep.join(labels.get(c, c) for c in codes)


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and _NAME.fullmatch(value) else None


def _key(value: Any) -> str | None:
    return value if isinstance(value, str) and _KEY.fullmatch(value) else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _days(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and number >= 0 else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _mapping(value: Any) -> dict[Any, Any] | None:
    return value if isinstance(value, dict) else None


def _nonempty_list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) and value else None


def _one_of(allowed: Sequence[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return value if isinstance(value, str) and value in allowed else None
    return check


def _amount(value: Any) -> Decimal | None:
    """A non-negative amount in euros, exact: a YAML float goes through its repr, never binary."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # 500.5 -> "500.5": the shortest text that reads back to that float
    elif isinstance(value, str):
        text = value.strip().removesuffix("€")
        for space in (" ", "\u00a0", "\u202f"):
            text = text.replace(space, "")
    else:
        return None
    return money(text.replace(",", ".")) if _AMOUNT.fullmatch(text) else None

r"""Reminder texts from Jinja templates, rendered in a sandbox, strict about missing data.

>>> env = environment()
>>> text = render(env, "relance_courtoise", "subject", sample_context())
>>> text.replace("\u202f", " ").replace("\xa0", " ")
'Factures F2025-0412, F2025-0468 échues : 3 734,56 € restant à régler – Atelier Durand'
>>> broken = {k: v for k, v in sample_context().items() if k != "payment_reference"}
>>> try:
...     render(env, "relance_courtoise", "email.txt", broken)
... except TemplateProblem as problem:
...     print(problem.template, problem.partial, problem.line, sep=" | ")
...     print(problem.detail)
fr/relance_courtoise.email.txt | fr/_payment.txt | 5
la variable « payment_reference » n'est pas fournie

Templates live in ``templates/<lang>/`` as ``{name}.subject.txt``, ``{name}.email.txt``,
``{name}.email.html``, ``{name}.letter.txt`` and ``{name}.sms.txt``; partials are named
``_thing.txt`` / ``_thing.html``. A user folder given to `environment` is searched first, so a
file ``<user_dir>/fr/relance_courtoise.email.txt`` (or ``fr/_payment.txt``) replaces the
shipped one.

Kinds: ``subject`` (one line), ``email.txt``, ``email.html`` (the only autoescaped kind),
``letter.txt`` (the body from the salutation to the signature, paragraphs separated by blank
lines, a paragraph may hold several lines such as a list; the letterhead, addresses, place,
date, subject line and legal footer are the PDF layout's job) and ``sms.txt`` (at most 320
characters, checked).

Context contract (what the caller passes; `sample_context` is a complete example):

- ``creditor``: the company owed the money, a mapping or object with ``legal_name``,
  ``legal_form``, ``share_capital`` (Decimal or None), ``rcs_city`` (or None), ``siren``,
  ``address_lines`` (list of str), ``email``, ``phone``, ``iban``, ``bic``,
  ``signatory_name``, ``signatory_title``.
- ``collector``: who sends when it is not the creditor (a collection agency holding a written
  mandate to receive payment, R124-3 CPCE), same shape; ``None`` when the creditor sends.
  When its ``siren`` differs from the creditor's, every written reminder carries the R124-4
  CPCE block (who collects, for whom, basis and breakdown, how to pay, L111-8 al. 2 and 3).
- ``client``: ``name``, ``ref``, ``kind`` ("b2b", "b2c" or "public"), ``contact_name`` (or
  None), ``address_lines``.
- ``invoices``: the invoices of this step, each ``number``, ``issue_date``, ``due_date``
  (dates), ``amount``, ``open_amount`` (Decimal, amount incl. VAT and what is still open).
- ``total_open``: the sum of the open amounts.
- ``penalties``: one entry per invoice, ``invoice`` (its number), ``interest``,
  ``indemnity`` (Decimal) and ``detail_lines`` (the calculation, French lines ready to print,
  e.g. "Du 21 novembre 2025 au 31 décembre 2025 : 41 jours à 12,15 % ... = 34,12 €").
- ``penalties_total``: interest plus indemnities; ``total_due``: ``total_open`` plus
  ``penalties_total``.
- ``claims_penalties``: whether this step claims penalties and the 40 € indemnity; they are
  shown only to professional clients (b2b, public), never to consumers (D441-5, L111-8).
- ``payment_reference``: what the payer writes on the transfer.
- ``deadline_days``: the delay a formal notice grants, counted from its receipt (0 elsewhere).
- ``step_label``, ``tone`` ("courteous", "firm", "formal"), ``today`` (the letter's date).
- ``recap``: other overdue invoices of the client (same shape as ``invoices``), may be empty.
- ``promise``: ``amount`` and ``date`` (confirmation_promesse), else None;
  ``plan``: ``installments`` (each ``date``, ``amount``) and ``total`` (accord_echeancier,
  optional for proposition_echeancier), else None.

`render` adds derived values, so the legal conditions are decided once, here:
``professional`` (client kind b2b or public), ``third_party`` (a collector other than the
creditor sends), ``sender`` (the collector if third_party, else the creditor: its name, bank
details and contact appear as "we"), ``interest_total`` and ``indemnity_total`` (what is
claimed), ``amount_claimed`` (``total_due`` when penalties are claimed from a professional,
else ``total_open``).

Filters: ``money`` (1 234,56 €), ``date_long`` (23 novembre 2026, 1er janvier 2025),
``date_short`` (23/11/2026), ``percent`` (12,15 %, from a rate in percent such as 12.15);
``money`` takes a currency and a Babel locale, ``date_long`` a locale, for other languages
(``|money("EUR", "en_GB")``, ``|date_long("en_GB")``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from babel.numbers import format_decimal
from jinja2 import sandbox

from relance.i18n import LOCALE, format_date, format_money

KINDS = ("subject", "email.txt", "email.html", "letter.txt", "sms.txt")
# Kinds a user may add without the package shipping one: the call script of a step
# (`{step}.call.txt`) replaces the built-in script of relance.dunning.scripts.
OPTIONAL_KINDS = ("call.txt",)
TEMPLATE_NAMES = (
    "rappel_avant_echeance", "relance_courtoise", "appel_courtois", "seconde_relance",
    "appel_ferme", "mise_en_demeure", "mise_en_demeure_particulier", "escalade",
    "proposition_echeancier", "confirmation_promesse", "accord_echeancier", "releve_de_compte",
)
SMS_MAX = 320
_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")
_LANG = re.compile(r"[a-z]{2}(_[A-Z]{2})?")


class TemplateProblem(Exception):
    """A template that cannot be rendered: which one, which line, what is wrong (French)."""

    def __init__(self, template: str, detail: str, line: int | None = None,
                 partial: str | None = None) -> None:
        self.template = template
        self.detail = detail
        self.line = line
        self.partial = partial
        where = f"Modèle « {template} »"
        if partial and partial != template:
            where += f" (dans « {partial} »)"
        if line is not None:
            where += f", ligne {line}"
        self.message = f"{where} : {detail.rstrip('.')}."
        super().__init__(self.message)


@dataclass(frozen=True)
class _Served:
    name: str
    origin: str


class _Loader(jinja2.BaseLoader):
    """Templates from the user folder first, then from the package; remembers what it served."""

    def __init__(self, roots: list[tuple[str, Traversable]]) -> None:
        self.roots = roots
        self.served: dict[str, _Served] = {}

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        """The text of `template`, a file name for tracebacks, and an up-to-date check."""
        pieces = jinja2.loaders.split_template_path(template)
        for origin, root in self.roots:
            node = root.joinpath(*pieces)
            if not node.is_file():
                continue
            source = node.read_text(encoding="utf-8")
            filename = str(node) if isinstance(node, Path) else f"relance:{template}"
            self.served[filename] = _Served(template, origin)
            return source, filename, _uptodate(node)
        raise jinja2.TemplateNotFound(template)

    def origin(self, template: str) -> str | None:
        """"user" or "package" (where `template` comes from), None when missing."""
        pieces = template.split("/")
        for origin, root in self.roots:
            if root.joinpath(*pieces).is_file():
                return origin
        return None

    def list_templates(self) -> list[str]:
        """Every `<lang>/<file>` in any root."""
        found: set[str] = set()
        for _, root in self.roots:
            if not root.is_dir():
                continue
            for lang in root.iterdir():
                if lang.is_dir():
                    found.update(f"{lang.name}/{f.name}" for f in lang.iterdir() if f.is_file())
        return sorted(found)


def _uptodate(node: Traversable) -> Callable[[], bool]:
    """User files may change while the program runs; shipped ones do not."""
    if not isinstance(node, Path):
        return lambda: True
    mtime = node.stat().st_mtime

    def check() -> bool:
        try:
            return node.stat().st_mtime == mtime
        except OSError:
            return False
    return check


def _money(value: object, currency: str = "EUR", locale: str = LOCALE) -> str:
    """`1 234,56 €`; floats are refused (money is Decimal)."""
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"montant invalide pour le filtre money : {value!r}")
    return format_money(Decimal(value), currency, locale=locale)


def _date_long(value: object, locale: str = LOCALE) -> str:
    """`23 novembre 2026`."""
    return format_date(_as_date(value), locale=locale)


def _date_short(value: object) -> str:
    """`23/11/2026`."""
    return _as_date(value).strftime("%d/%m/%Y")


def _percent(value: object, locale: str = LOCALE) -> str:
    """`12,15 %` from a rate written in percent (12.15)."""
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"taux invalide pour le filtre percent : {value!r}")
    return f"{format_decimal(Decimal(value), format='#,##0.00', locale=locale)}\xa0%"


def _as_date(value: object) -> dt.date:
    if not isinstance(value, dt.date):
        raise TypeError(f"date attendue, reçu : {value!r}")
    return value


def _finalize(value: object) -> object:
    """Never print "None" in a letter: a missing optional value must be tested in the template."""
    if value is None:
        raise ValueError("une valeur vide (None) serait imprimée ; testez-la avec {% if %}")
    return value


def environment(user_dir: Path | None = None) -> sandbox.SandboxedEnvironment:
    """A sandboxed, strict environment: `user_dir/<lang>/` first, then the shipped templates."""
    roots: list[tuple[str, Traversable]] = []
    if user_dir is not None:
        roots.append(("user", Path(user_dir)))
    roots.append(("package", resources.files("relance.documents") / "templates"))
    env = sandbox.ImmutableSandboxedEnvironment(
        loader=_Loader(roots),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",),
                                            default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        auto_reload=False,  # templates are read once per process; no stat() per render
    )
    env.filters.update(money=_money, date_long=_date_long, date_short=_date_short,
                       percent=_percent)
    return env


def template_file(name: str, kind: str, lang: str = "fr") -> str:
    """`fr/relance_courtoise.subject.txt` for ("relance_courtoise", "subject")."""
    return f"{lang}/{name}.{'subject.txt' if kind == 'subject' else kind}"


def render(env: jinja2.Environment, name: str, kind: str, context: Mapping[str, object],
           lang: str = "fr") -> str:
    """The text of one template, whole, or a `TemplateProblem` (never a half-rendered text)."""
    file = template_file(name, kind, lang)
    if not _NAME.fullmatch(name):
        raise TemplateProblem(file, f"nom de modèle invalide « {name} »")
    if kind not in KINDS + OPTIONAL_KINDS:
        raise TemplateProblem(file, f"type « {kind} » inconnu ; attendu : "
                              f"{', '.join(KINDS + OPTIONAL_KINDS)}")
    if not _LANG.fullmatch(lang):
        raise TemplateProblem(file, f"langue invalide « {lang} »")
    try:
        text = env.get_template(file).render(with_derived(context))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(file, f"erreur de syntaxe : {exc.message}", exc.lineno,
                              exc.name) from exc
    except jinja2.TemplateNotFound as exc:
        what = ("modèle introuvable" if exc.name == file
                else f"modèle inclus « {exc.name} » introuvable")
        raise TemplateProblem(file, what) from exc
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError,
            AttributeError) as exc:
        partial, line = _where(env, exc.__traceback__)
        raise TemplateProblem(file, _explain(exc), line, partial) from exc
    text = _tidy(kind, text)
    if kind == "sms.txt" and len(text) > SMS_MAX:
        raise TemplateProblem(file, f"SMS de {len(text)} caractères, au-delà de {SMS_MAX}")
    return text


def check_templates(env: jinja2.Environment, names: Iterable[str],
                    sample: Mapping[str, object], lang: str = "fr") -> list[TemplateProblem]:
    """Render every kind of every name with `sample`; the problems found (empty when all good)."""
    problems = []
    for name in names:
        for kind in KINDS:
            try:
                render(env, name, kind, sample, lang)
            except TemplateProblem as problem:
                problems.append(problem)
    return problems


def available(env: jinja2.Environment, lang: str = "fr") -> list[tuple[str, str, str]]:
    """(name, kind, "package" or "user") for each template of `lang`, partials left out."""
    loader = env.loader
    if not isinstance(loader, _Loader):
        raise TypeError("environnement créé sans relance.documents.render.environment()")
    rows = []
    for path in loader.list_templates():
        folder, _, file = path.partition("/")
        if folder != lang or file.startswith("_"):
            continue
        for kind in KINDS + OPTIONAL_KINDS:
            suffix = "." + ("subject.txt" if kind == "subject" else kind)
            if file.endswith(suffix) and _NAME.fullmatch(file[: -len(suffix)]):
                rows.append((file[: -len(suffix)], kind, loader.origin(path) or "package"))
    return sorted(rows)


def with_derived(context: Mapping[str, object]) -> dict[str, object]:
    """The context plus professional, third_party, sender and the claimed totals."""
    out = dict(context)
    client, creditor = context.get("client"), context.get("creditor")
    collector = context.get("collector")
    if client is not None:
        out["professional"] = _get(client, "kind") in ("b2b", "public")
    if creditor is not None:
        third = collector is not None and _get(collector, "siren") != _get(creditor, "siren")
        out["third_party"] = third
        out["sender"] = collector if third else creditor
    penalties = context.get("penalties")
    if isinstance(penalties, list | tuple):
        claimed = bool(context.get("claims_penalties")) and bool(out.get("professional"))
        out["interest_total"] = _sum(penalties, "interest") if claimed else Decimal("0.00")
        out["indemnity_total"] = _sum(penalties, "indemnity") if claimed else Decimal("0.00")
        key = "total_due" if claimed else "total_open"
        if key in context:
            out["amount_claimed"] = context[key]
    return out


def _get(obj: object, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _sum(rows: Iterable[object], key: str) -> Decimal:
    total = Decimal("0.00")
    for row in rows:
        value = _get(row, key)
        if isinstance(value, Decimal | int):
            total += value
    return total


def _where(env: jinja2.Environment, tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The deepest template frame of a rendering traceback: (template name, line)."""
    served = env.loader.served if isinstance(env.loader, _Loader) else {}
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        hit = served.get(tb.tb_frame.f_code.co_filename)
        if hit is not None:
            found = (hit.name, tb.tb_lineno)
        tb = tb.tb_next
    return found


_UNDEFINED = re.compile(r"^'([^']+)' is undefined$")
_NO_ATTR = re.compile(r"^'(.+)' has no attribute '([^']+)'$")
_NO_ITEM = re.compile(r"^'(.+)' has no element (.+)$")
_UNSAFE = re.compile(r"access to attribute '([^']+)' of '([^']+)' object is unsafe")


def _explain(exc: BaseException) -> str:
    """The cause in French."""
    text = str(exc)
    if isinstance(exc, jinja2.exceptions.SecurityError) or _UNSAFE.search(text):
        match = _UNSAFE.search(text)
        what = f"l'accès à « {match.group(1)} »" if match else "cette opération"
        return f"{what} est interdit par le bac à sable des modèles"
    if isinstance(exc, jinja2.UndefinedError):
        if match := _UNDEFINED.match(text):
            return f"la variable « {match.group(1)} » n'est pas fournie"
        if match := _NO_ATTR.match(text):
            return f"le champ « {match.group(2)} » manque ({match.group(1)})"
        if match := _NO_ITEM.match(text):
            return f"l'élément {match.group(2)} manque ({match.group(1)})"
        return f"valeur manquante : {text}"
    if isinstance(exc, TypeError | ValueError):
        return text
    return f"{type(exc).__name__} : {text}"


_BLANKS = re.compile(r"\n{3,}")


def _tidy(kind: str, text: str) -> str:
    """One line for a subject; no trailing spaces nor runs of blank lines in plain text."""
    if kind == "subject":
        return " ".join(text.split())
    if kind == "email.html":
        return text.strip() + "\n"
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = _BLANKS.sub("\n\n", lines)
    return text if kind == "sms.txt" else text + "\n"


def sample_context() -> dict[str, object]:
    """A complete, realistic context (worked example (b) of the law file for the first invoice)."""
    d, m = dt.date, Decimal

    def line(start: dt.date, end: dt.date, days: int, base: str, interest: str) -> str:
        return (f"Du {format_date(start)} au {format_date(end)} : {format_money(m(base))} × "
                f"12,15 % × {days} jours / 365 = {format_money(m(interest))}")

    creditor = {
        "legal_name": "Atelier Durand", "legal_form": "SARL", "share_capital": m("20000.00"),
        "rcs_city": "Lyon", "siren": "512 345 679",
        "address_lines": ["12 rue des Tanneurs", "69002 Lyon"],
        "email": "compta@atelier-durand.example", "phone": "04 72 00 00 00",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
        "signatory_name": "Claire Durand", "signatory_title": "Gérante",
    }
    invoices = [
        {"number": "F2025-0412", "issue_date": d(2025, 10, 21), "due_date": d(2025, 11, 20),
         "amount": m("2500.00"), "open_amount": m("2500.00")},
        {"number": "F2025-0468", "issue_date": d(2025, 12, 1), "due_date": d(2025, 12, 31),
         "amount": m("1834.56"), "open_amount": m("1234.56")},
    ]
    penalties = [
        {"invoice": "F2025-0412", "interest": m("68.24"), "indemnity": m("40.00"),
         "detail_lines": [line(d(2025, 11, 21), d(2025, 12, 31), 41, "2500.00", "34.12"),
                          line(d(2026, 1, 1), d(2026, 2, 10), 41, "2500.00", "34.12")]},
        {"invoice": "F2025-0468", "interest": m("16.85"), "indemnity": m("40.00"),
         "detail_lines": [line(d(2026, 1, 1), d(2026, 2, 10), 41, "1234.56", "16.85")]},
    ]
    return {
        "creditor": creditor,
        "collector": None,
        "client": {"name": "Garage Martin SARL", "ref": "C-0042", "kind": "b2b",
                   "contact_name": "M. Paul Martin",
                   "address_lines": ["3 avenue Jean Jaurès", "38000 Grenoble"]},
        "invoices": invoices,
        "total_open": m("3734.56"),
        "penalties": penalties,
        "penalties_total": m("165.09"),
        "total_due": m("3899.65"),
        "claims_penalties": True,
        "payment_reference": "C0042-F20250412",
        "deadline_days": 8,
        "step_label": "Seconde relance, plus ferme (courriel et courrier)",
        "tone": "firm",
        "today": d(2026, 2, 10),
        "recap": [{"number": "F2026-0031", "issue_date": d(2026, 1, 5),
                   "due_date": d(2026, 2, 4), "amount": m("480.00"),
                   "open_amount": m("480.00")}],
        "promise": {"amount": m("1500.00"), "date": d(2026, 2, 27)},
        "plan": {"installments": [{"date": d(2026, 2, 27), "amount": m("1300.00")},
                                  {"date": d(2026, 3, 27), "amount": m("1300.00")},
                                  {"date": d(2026, 4, 27), "amount": m("1299.65")}],
                 "total": m("3899.65")},
    }

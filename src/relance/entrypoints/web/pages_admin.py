"""Scénarios (steps, YAML editing with validation, which clients use which) and Paramètres
(company, sending, templates, rates, users, API tokens, audit log)."""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import and_, false, or_, select, update

from relance.adapters import tables as t
from relance.domain.errors import NotFoundError, ValidationError
from relance.entrypoints.web.deps import Ctx, Forbidden, page
from relance.entrypoints.web.pages_clients import RowId

router = APIRouter(prefix="/c/{creditor_ref}")

CLIENTS_SHOWN = 50


# --- scenarios: which clients use which --------------------------------------------------------


def _groups(ctx: Ctx) -> list[tuple[str, str, str | None, int]]:
    """Clients counted by what chooses their scenario: kind, grade, override."""
    from sqlalchemy import func

    from relance.dunning.scenario import UNRATED

    c, s, st = t.clients, t.client_scores, t.client_status
    rows = ctx.conn.execute(
        select(c.c.kind, s.c.grade, st.c.scenario, func.count())
        .select_from(c.outerjoin(s, s.c.client_id == c.c.id)
                     .outerjoin(st, st.c.client_id == c.c.id))
        .where(c.c.creditor_id == ctx.creditor.id)
        .group_by(c.c.kind, s.c.grade, st.c.scenario))
    return [(kind, grade or UNRATED, override, n) for kind, grade, override, n in rows]


def usage(ctx: Ctx, scenarios: list[Any]) -> dict[str, list[tuple[str, str, str | None, int]]]:
    """For each scenario name, the client groups it applies to (as the run chooses)."""
    from relance.dunning.scenario import ScenarioError, choose_scenario

    found: dict[str, list[tuple[str, str, str | None, int]]] = defaultdict(list)
    for group in _groups(ctx):
        kind, grade, override, _ = group
        try:
            name = choose_scenario(scenarios, kind, grade, override).name
        except ScenarioError:
            name = ""  # no scenario fits: the run will say so
        found[name].append(group)
    return found


def _clients_of(ctx: Ctx, groups: list[tuple[str, str, str | None, int]]) -> list[Any]:
    """The first clients of these groups, by name."""
    from relance.dunning.scenario import UNRATED

    if not groups:
        return []
    c, s, st = t.clients, t.client_scores, t.client_status
    conditions = []
    for kind, grade, override, _ in groups:
        graded = s.c.grade.is_(None) if grade == UNRATED else s.c.grade == grade
        chosen = st.c.scenario.is_(None) if override is None else st.c.scenario == override
        conditions.append(and_(c.c.kind == kind, graded, chosen))
    return list(ctx.conn.execute(
        select(c.c.id, c.c.ref, c.c.name, c.c.kind, s.c.grade)
        .select_from(c.outerjoin(s, s.c.client_id == c.c.id)
                     .outerjoin(st, st.c.client_id == c.c.id))
        .where(c.c.creditor_id == ctx.creditor.id, or_(false(), *conditions))
        .order_by(c.c.name, c.c.id).limit(CLIENTS_SHOWN)))


@router.get("/scenarios")
def scenarios_page(ctx: Ctx = Depends(page("read"))) -> Response:
    """Every scenario of the company, its steps count and how many clients follow it."""
    from relance.services.scenarios import available

    found = available(ctx.conn, ctx.creditor.id)
    used = usage(ctx, [s for s, _ in found])
    counts = {name: sum(g[3] for g in groups) for name, groups in used.items()}
    return ctx.render("scenarios.html", title="Scénarios", scenarios=found, counts=counts,
                      unmatched=counts.get("", 0), labels=_labels())


def _labels() -> dict[str, Any]:
    from relance.dunning.scenario import CHANNEL_LABELS, CLIENT_KIND_LABELS, TONE_LABELS

    return {"channels": CHANNEL_LABELS, "tones": TONE_LABELS, "kinds": CLIENT_KIND_LABELS}


def _scenario(ctx: Ctx, name: str) -> tuple[Any, str, str, list[Any]]:
    """A scenario of the company by name: itself, its origin, its YAML text, all of them."""
    from relance.dunning.scenario import scenario_to_yaml
    from relance.services.scenarios import available

    found = available(ctx.conn, ctx.creditor.id)
    for scenario, origin in found:
        if scenario.name == name:
            source = ctx.conn.execute(select(t.scenarios.c.source).where(
                t.scenarios.c.creditor_id == ctx.creditor.id,
                t.scenarios.c.name == name)).scalar_one_or_none()
            return scenario, origin, source or scenario_to_yaml(scenario), [s for s, _ in found]
    raise NotFoundError(f"Scénario « {name} » inconnu.")


def _scenario_page(ctx: Ctx, name: str, status_code: int = 200, source: str | None = None,
                   errors: list[str] | None = None) -> Response:
    scenario, origin, stored, every = _scenario(ctx, name)
    groups = usage(ctx, every).get(name, [])
    return ctx.render("scenario.html", status_code=status_code,
                      title=f"Scénario {scenario.label}", scenario=scenario, origin=origin,
                      source=stored if source is None else source, errors=errors or [],
                      count=sum(g[3] for g in groups), clients=_clients_of(ctx, groups),
                      shown=CLIENTS_SHOWN, labels=_labels(), can_admin=ctx.user.can("admin"))


@router.get("/scenarios/{name}")
def scenario_page(name: str, ctx: Ctx = Depends(page("read"))) -> Response:
    """A scenario's steps, its YAML source (editable by an admin) and its clients."""
    return _scenario_page(ctx, name)


def locate(source: str, error: str) -> int | None:
    """The line of the YAML text an error message is about (its step, and field if named)."""
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    node: Any = root
    line = None
    step = re.search(r"étape (\d{1,6})\b", error)
    if step and isinstance(node, yaml.MappingNode):
        steps = _child(node, "steps")
        index = int(step.group(1)) - 1
        if isinstance(steps, yaml.SequenceNode) and 0 <= index < len(steps.value):
            node = steps.value[index]
            line = node.start_mark.line + 1
    field = re.search(r"champ « ([\w.]+) »", error)
    if field and "manquant" not in error:
        for part in field.group(1).split("."):
            key = _key(node, part)
            if key is None:
                break
            line = key.start_mark.line + 1
            node = _child(node, part)
    return line


def _key(node: Any, name: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if getattr(key, "value", None) == name:
                return key
    return None


def _child(node: Any, name: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == name:
                return value
    return None


def _with_lines(source: str, message: str) -> list[str]:
    """Each error of the validator on its own line, with the YAML line when it is known."""
    out = []
    for error in filter(None, (e.strip() for e in message.splitlines())):
        line = None if "ligne" in error else locate(source, error)
        out.append(f"Ligne {line} — {error}" if line else error)
    return out


@router.post("/scenarios/{name}")
def save_scenario(name: str, source: str = Form(""),
                  ctx: Ctx = Depends(page("admin"))) -> Response:
    """Validate the edited YAML like `relance scenarios load` and store it; nothing is saved
    while it has an error."""
    from relance.services.scenarios import load_file

    _scenario(ctx, name)  # an unknown name is 404, as for reading
    source = source.replace("\r\n", "\n")
    with tempfile.TemporaryDirectory(prefix="relance-scenario-") as folder:
        path = Path(folder) / f"{name}.yaml"
        path.write_text(source, "utf-8")
        try:
            scenario = load_file(ctx.conn, ctx.creditor.id, path)
        except ValidationError as err:
            ctx.conn.rollback()
            return _scenario_page(ctx, name, 400, source, _with_lines(source, err.message))
    ctx.audit("scenario.save", scenario.name, steps=len(scenario.steps))
    ctx.commit()
    return ctx.redirect(f"/scenarios/{scenario.name}",
                        f"Scénario « {scenario.name} » enregistré : "
                        f"{len(scenario.steps)} étape(s).")


# --- paramètres ----------------------------------------------------------------------------------

COMPANY_FIELDS = (
    ("legal_name", "Raison sociale", True), ("legal_form", "Forme juridique", False),
    ("rcs_city", "Ville du greffe (RCS)", False), ("siren", "SIREN", False),
    ("siret", "SIRET du siège", False), ("vat_number", "N° de TVA intracommunautaire", False),
    ("address", "Adresse", False), ("postal_code", "Code postal", False),
    ("city", "Ville", False), ("email", "E-mail d'expédition", False),
    ("phone", "Téléphone", False), ("iban", "IBAN", False), ("bic", "BIC", False),
    ("signatory_name", "Signataire des courriers", False),
    ("signatory_title", "Fonction du signataire", False),
    ("default_terms", "Conditions de paiement par défaut", True),
)
ROLE_CHOICES = (("admin", "Administrateur"), ("collector", "Chargé de recouvrement"),
                ("readonly", "Lecture seule"))
PREVIEW_KINDS = ("email.txt", "letter.txt", "sms.txt", "email.html")


def _smtp() -> list[tuple[str, str]]:
    """The sending settings from the configuration (never the password)."""
    from relance import config

    host = config.get("smtp_host")
    rows = [("Serveur SMTP", host or "aucun : les e-mails sont écrits en fichiers .eml"),
            ("Port", config.get("smtp_port")), ("Sécurité", config.get("smtp_security")),
            ("Identifiant", config.get("smtp_user") or "—"),
            ("Mot de passe", "défini" if config.get("smtp_password") else "—"),
            ("Débit maximal (messages/minute)", config.get("send_rate") or "sans limite"),
            ("Dossier de sortie", config.get("output_dir")),
            ("Modèles personnalisés", config.get("templates_dir") or "aucun")]
    return rows if host else rows[:1] + rows[5:]


def _users(ctx: Ctx) -> list[Any]:
    """The users serving this company."""
    u, g = t.users, t.user_creditors
    return list(ctx.conn.execute(
        select(u.c.id, u.c.username, u.c.full_name, u.c.role, u.c.active, u.c.created_at)
        .join(g, g.c.user_id == u.c.id).where(g.c.creditor_id == ctx.creditor.id)
        .order_by(u.c.username)))


def _tokens(ctx: Ctx) -> list[Any]:
    a = t.api_tokens
    return list(ctx.conn.execute(select(a.c.id, a.c.name, a.c.created_at, a.c.last_used_at,
                                        a.c.revoked_at)
                                 .where(a.c.user_id == ctx.user.id).order_by(a.c.id.desc())))


def _template_preview(ctx: Ctx, name: str, kind: str) -> dict[str, str]:
    """A template rendered on an invoice of this company (the sample context if it has none)."""
    from relance.documents.render import TemplateProblem, render, sample_context
    from relance.entrypoints.web.pages_work import template_env
    from relance.services.compose import message_context

    inv = ctx.conn.execute(select(t.invoices.c.number, t.invoices.c.client_id).where(
        t.invoices.c.creditor_id == ctx.creditor.id, t.invoices.c.doc_type == "invoice")
        .order_by(t.invoices.c.id.desc()).limit(1)).first()  # the latest, by its key
    if inv is None:
        context, on = sample_context(), "exemple fictif"
    else:
        fake = SimpleNamespace(
            creditor_id=ctx.creditor.id, client_id=inv.client_id, run_date=ctx.today,
            step_key=name, template=name, tone="courteous", key=f"preview:{name}",
            data={"invoices": [inv.number], "recap": [], "deadline_days": 8, "label": name,
                  "claims_penalties": name.startswith("mise_en_demeure")})
        context, on = message_context(ctx.conn, fake), f"facture {inv.number}"
    try:
        env = template_env()
        return {"name": name, "kind": kind, "on": on, "error": "",
                "subject": render(env, name, "subject", context).strip(),
                "body": render(env, name, kind, context)}
    except TemplateProblem as problem:
        return {"name": name, "kind": kind, "on": on, "error": problem.message, "subject": "",
                "body": ""}


def _templates() -> list[tuple[str, list[str], str]]:
    """(name, kinds, origin) of every document template."""
    from relance.documents.render import available
    from relance.entrypoints.web.pages_work import template_env

    found: dict[str, tuple[list[str], str]] = {}
    for name, kind, origin in available(template_env()):
        kinds, was = found.get(name, ([], "package"))
        found[name] = ([*kinds, kind], "user" if origin == "user" else was)
    return [(name, kinds, origin) for name, (kinds, origin) in sorted(found.items())]


def _settings_page(ctx: Ctx, status_code: int = 200, **data: Any) -> Response:
    from relance.services.penalties import RUN_SETTINGS, rate_table, run_settings
    from relance.services.users import audit_rows

    admin = ctx.user.can("admin")
    extra: dict[str, Any] = {}
    if admin:
        modele, kind = data.pop("modele", ""), data.pop("kind", "email.txt")
        users = _users(ctx)
        extra = {
            "company_fields": COMPANY_FIELDS, "smtp": _smtp(),
            "run_settings": run_settings(ctx.conn, ctx.creditor.id),
            "run_help": {n: h for n, _, h in RUN_SETTINGS}, "templates": _templates(),
            "preview": _template_preview(ctx, modele, kind) if modele else None,
            "preview_kinds": PREVIEW_KINDS, "rates": list(rate_table(ctx.conn)),
            "can_edit_rates": _serves_every_company(ctx), "users": users,
            "manageable": _manageable(ctx, [u.id for u in users]), "roles": ROLE_CHOICES,
            "audit": audit_rows(ctx.conn, [ctx.creditor.id], 200)}
    return ctx.render("settings.html", status_code=status_code, title="Paramètres",
                      admin=admin, can_work=ctx.user.can("work"), tokens=_tokens(ctx),
                      **extra, **data)


@router.get("/parametres")
def settings_page(modele: str = "", kind: str = Query("email.txt", alias="type"),
                  ctx: Ctx = Depends(page("read"))) -> Response:
    """Settings: everything for an admin; a user's own API tokens for everyone."""
    if modele and ctx.user.can("admin") and kind not in PREVIEW_KINDS:
        raise ValidationError(f"Type de modèle « {kind} » inconnu.")
    return _settings_page(ctx, modele=modele, kind=kind)


def _company_values(form: Any) -> dict[str, str]:
    """The company form, checked: SIREN, SIRET, VAT and IBAN with python-stdnum, BIC too."""
    from relance.imports.validate import company_identifiers

    values = {name: str(form.get(name, "")).strip() for name, _, _ in COMPANY_FIELDS}
    for name, label, required in COMPANY_FIELDS:
        if required and not values[name]:
            raise ValidationError(f"{label} : ce champ est obligatoire.")
    return company_identifiers(values, {name: label for name, label, _ in COMPANY_FIELDS})


async def posted(request: Request) -> Any:
    """The form of a POST (read once; the guard has already checked its CSRF token)."""
    return await request.form()


@router.post("/parametres/societe")
def save_company(form: Any = Depends(posted), ctx: Ctx = Depends(page("admin"))) -> Response:
    """Change the company's details (names, identifiers, address, bank, signatory)."""
    values = _company_values(form)
    before = ctx.creditor._mapping
    changed = sorted(k for k, v in values.items() if (before[k] or "") != v)
    ctx.conn.execute(update(t.creditors).where(t.creditors.c.id == ctx.creditor.id)
                     .values(**values))
    ctx.audit("creditor.update", ctx.creditor.ref, fields=changed)
    ctx.commit()
    return ctx.redirect("/parametres#societe", "Coordonnées de la société enregistrées.")


@router.post("/parametres/envoi")
def save_run_settings(form: Any = Depends(posted),
                      ctx: Ctx = Depends(page("admin"))) -> Response:
    """Change the run settings of the company (courtesy guard, call hours, collector...)."""
    from relance.services.penalties import RUN_SETTINGS, run_settings, set_convention

    current = run_settings(ctx.conn, ctx.creditor.id)
    changed = []
    for name, _, _ in RUN_SETTINGS:
        value = form.get(name)
        if isinstance(value, str) and value.strip() != current[name]:
            set_convention(ctx.conn, ctx.creditor.id, name, value)
            changed.append(name)
    ctx.audit("settings.update", ctx.creditor.ref, names=changed)
    ctx.commit()
    return ctx.redirect("/parametres#envoi", f"{len(changed)} réglage(s) modifié(s).")


RATE_YEARS = (2000, 2100)
RATE_STEP = Decimal("0.0001")


def _serves_every_company(ctx: Ctx) -> bool:
    """True when the user is granted every creditor company of the database: the rate
    table is shared by all of them, so only such a user changes it from the web."""
    every = set(ctx.conn.execute(select(t.creditors.c.id)).scalars())
    return every <= ctx.user.creditor_ids


def _rate_entry(half: str, ecb: str, legal_private: str, legal_other: str,
                source: str) -> Any:
    """The rates typed, checked: a half-year of 2000 to 2100, percentages of 0 to 100."""
    from relance.law import RateEntry
    from relance.law.errors import LawError

    if not source.strip():
        raise ValidationError("La source est obligatoire (adresse du JORF ou de la BCE).")
    try:
        entry = RateEntry.of(half.strip(), ecb=ecb.strip(), legal_private=legal_private.strip(),
                             legal_other=legal_other.strip(), source=source.strip(),
                             origin="user")
    except LawError as err:
        raise ValidationError(err.message) from None
    low, high = RATE_YEARS
    if not low <= entry.half.year <= high:
        raise ValidationError(f"Semestre {entry.half} : l'année doit être comprise entre "
                              f"{low} et {high}.")
    for value, label in ((entry.ecb, "taux BCE"), (entry.legal_private, "taux légal "
                         "(particuliers)"), (entry.legal_other, "taux légal (autres cas)")):
        if not 0 <= value <= 100 or value != value.quantize(RATE_STEP) or len(str(value)) > 16:
            raise ValidationError(f"Le {label} « {value} » doit être un pourcentage de 0 à "
                                  "100, avec au plus 4 décimales.")
    return entry


@router.post("/parametres/taux")
def add_rate(half: str = Form(""), ecb: str = Form(""), legal_private: str = Form(""),
             legal_other: str = Form(""), source: str = Form(""), replace: str = Form(""),
             ctx: Ctx = Depends(page("admin"))) -> Response:
    """Add (or replace) the rates of a half-year, as `relance rates add`; the table is shared
    by every company, so only a user serving them all may change it."""
    from relance.services.penalties import save_rate

    if not _serves_every_company(ctx):
        raise Forbidden("Les taux sont communs à toutes les sociétés : seul un administrateur "
                        "de toutes les sociétés peut les modifier.")
    entry = _rate_entry(half, ecb, legal_private, legal_other, source)
    replaced = save_rate(ctx.conn, entry, replace=bool(replace))
    ctx.audit("rates.add", str(entry.half), ecb=str(entry.ecb), replaced=replaced)
    ctx.commit()
    return ctx.redirect("/parametres#taux", f"Taux du semestre {entry.half} "
                                            f"{'remplacés' if replaced else 'enregistrés'}.")


def _manageable(ctx: Ctx, user_ids: list[int]) -> set[int]:
    """The users whose companies are all granted to the acting admin: roles and the active
    flag are global, so an admin never changes someone who also serves another company."""
    g = t.user_creditors
    companies: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    for user_id, creditor_id in ctx.conn.execute(
            select(g.c.user_id, g.c.creditor_id).where(g.c.user_id.in_(user_ids))):
        companies[user_id].add(creditor_id)
    return {u for u, served in companies.items() if served <= ctx.user.creditor_ids}


def _served_user(ctx: Ctx, user_id: int) -> Any:
    """A user serving this company and no company beyond the acting admin's (others are
    unknown here); never oneself."""
    row = next((u for u in _users(ctx) if u.id == user_id), None)
    if row is None or not _manageable(ctx, [row.id]):
        raise NotFoundError(f"Utilisateur n° {user_id} inconnu.")
    if row.id == ctx.user.id:
        raise ValidationError("Vous ne pouvez pas modifier votre propre rôle ni vous "
                              "désactiver : demandez-le à un autre administrateur.")
    return row


@router.post("/parametres/utilisateurs")
def add_user_page(username: str = Form(""), full_name: str = Form(""),
                  password: str = Form(""), role: str = Form(""),
                  ctx: Ctx = Depends(page("admin"))) -> Response:
    """Create a user with a role, serving this company."""
    from relance.services.users import add_user

    user_id = add_user(ctx.conn, username, password, role, full_name=full_name.strip(),
                       creditor_ids=[ctx.creditor.id])
    ctx.audit("user.add", username.strip(), user_id=user_id, role=role)
    ctx.commit()
    return ctx.redirect("/parametres#utilisateurs", f"Utilisateur « {username.strip()} » créé.")


@router.post("/parametres/utilisateurs/{user_id}/role")
def change_role(user_id: RowId, role: str = Form(""),
                ctx: Ctx = Depends(page("admin"))) -> Response:
    """Change the role of a user of this company."""
    from relance.services.users import set_role

    row = _served_user(ctx, user_id)
    set_role(ctx.conn, row.id, role, active=row.active)
    ctx.audit("user.role", row.username, role=role)
    ctx.commit()
    return ctx.redirect("/parametres#utilisateurs", f"Rôle de « {row.username} » modifié.")


@router.post("/parametres/utilisateurs/{user_id}/actif")
def toggle_user(user_id: RowId, active: str = Form(""),
                ctx: Ctx = Depends(page("admin"))) -> Response:
    """Disable a user (their sessions end at once) or enable them again."""
    from relance.services.users import set_role

    row = _served_user(ctx, user_id)
    set_role(ctx.conn, row.id, row.role, active=active == "1")
    ctx.audit("user.enable" if active == "1" else "user.disable", row.username)
    ctx.commit()
    return ctx.redirect("/parametres#utilisateurs",
                        f"« {row.username} » {'réactivé' if active == '1' else 'désactivé'}.")


@router.post("/parametres/jetons")
def create_token_page(name: str = Form(""), ctx: Ctx = Depends(page("work"))) -> Response:
    """A new API token for oneself, shown once on the answer page."""
    from relance.services.users import create_token

    token = create_token(ctx.conn, ctx.user.id, name.strip()[:120])
    ctx.audit("token.create", name.strip()[:120])
    ctx.commit()
    return _settings_page(ctx, new_token=token)


@router.post("/parametres/jetons/{token_id}/revoquer")
def revoke_token_page(token_id: RowId, ctx: Ctx = Depends(page("work"))) -> Response:
    """Revoke one of one's own API tokens."""
    from relance.services.users import revoke_token

    revoke_token(ctx.conn, ctx.user.id, token_id)
    ctx.audit("token.revoke", f"token:{token_id}")
    ctx.commit()
    return ctx.redirect("/parametres#jetons", f"Jeton n° {token_id} révoqué.")

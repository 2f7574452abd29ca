"""Registry checks: what the public registers say of a company (status, creation, closure,
collective proceedings), turned into warning signs, proceedings and recommended terms.

When a register cannot be reached the answer is "inconnu" and nothing is blocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as siren_mod

from relance.adapters import tables as t
from relance.adapters.registry import (
    Company,
    CompanyLookup,
    Notice,
    NoticesLookup,
    RegistryClient,
    SqlCache,
    client_from_env,
)
from relance.domain.errors import ValidationError
from relance.i18n import format_date, format_money
from relance.risk.behaviour import behaviour
from relance.risk.score import GRADE_LABELS, ObservedSign, Score, score
from relance.risk.signs import SIGN_KINDS, is_young

STATUS_LABELS = {"ok": "trouvé", "not_found": "introuvable", "unknown": "inconnu"}


def valid_siren(value: str) -> str:
    compact = siren_mod.compact(value)
    try:
        return str(siren_mod.validate(compact))
    except StdnumError as exc:
        raise ValidationError(f"SIREN invalide : « {value} » (attendu : 9 chiffres dont la clé "
                              "de contrôle est juste).") from exc


def current_proceeding(notices: tuple[Notice, ...]) -> Notice | None:
    """The collective proceeding in force: the newest insolvency notice not followed by a
    closure. Cancellation notices ("Avis d'annulation") are left out: which notice they
    cancel is not machine-readable, so a person checks them (they are listed)."""
    for n in sorted(notices, key=lambda n: n.published_on or date.min, reverse=True):
        if n.is_cancellation:
            continue
        if n.kind == "cloture":
            return None
        if n.is_insolvency:
            return n
    return None


def registry_signs(company: Company | None, notices: tuple[Notice, ...],
                   at: date) -> list[tuple[str, date, str, str]]:
    """(kind, date, detail, reference) of the signs the registers show."""
    out: list[tuple[str, date, str, str]] = []
    if company is not None:
        if not company.active or company.closed_on is not None:
            on = company.closed_on or at
            out.append(("closed", on, "Entreprise cessée au répertoire Sirene"
                        + (f" le {format_date(company.closed_on)}" if company.closed_on else ""),
                        f"sirene:{company.siren}:closed"))
        if company.created_on is not None and is_young(company.created_on, at):
            out.append(("young_company", company.created_on,
                        f"Créée le {format_date(company.created_on)}",
                        f"sirene:{company.siren}:young"))
    for n in notices:
        if n.kind == "radiation" and not n.is_cancellation and n.published_on is not None:
            out.append(("closed", n.published_on, f"Radiation publiée au BODACC le "
                        f"{format_date(n.published_on)}", f"bodacc:{n.id}"))
    found = current_proceeding(notices)
    if found is not None and found.published_on is not None:
        out.append(("collective_proceedings", found.judgment_date or found.published_on,
                    f"{found.nature or found.family} (BODACC du "
                    f"{format_date(found.published_on)}"
                    + (f", {found.court}" if found.court else "") + ")", f"bodacc:{found.id}"))
    return out


@dataclass
class CheckResult:
    siren: str
    at: date
    company: CompanyLookup
    notices: NoticesLookup
    signs: list[tuple[str, date, str, str]]
    own: list[tuple[Any, Any]] = field(default_factory=list)   # (client row, assessment)
    recommendation: Score | None = None

    def as_json(self) -> dict[str, Any]:
        from relance.services.risk import assessment_json, score_json

        c = self.company.value
        return {
            "siren": self.siren, "at": self.at,
            "registry": {"status": self.company.status, "message": self.company.message,
                         "from_cache": self.company.from_cache,
                         "company": None if c is None else {
                             "name": c.name, "active": c.active, "created_on": c.created_on,
                             "closed_on": c.closed_on, "legal_form": c.legal_form,
                             "activity": c.activity, "employees": c.employees_label,
                             "head_office": c.head_office,
                             "head_office_siret": c.head_office_siret}},
            "bodacc": {"status": self.notices.status, "message": self.notices.message,
                       "notices": [{"id": n.id, "published_on": n.published_on,
                                    "kind": n.kind, "nature": n.nature, "court": n.court,
                                    "judgment_date": n.judgment_date, "url": n.url}
                                   for n in self.notices.value]},
            "signs": [{"kind": k, "label": SIGN_KINDS[k].label, "observed_on": d,
                       "detail": text} for k, d, text, _ in self.signs],
            "history": [{"client": row.ref, "name": row.name, **assessment_json(a)}
                        for row, a in self.own],
            "recommendation": None if self.recommendation is None else score_json(
                self.recommendation),
        }

    def lines(self) -> list[str]:
        out = [f"Vérification du SIREN {self.siren} au {format_date(self.at)}"]
        c = self.company.value
        if self.company.status == "ok" and c is not None:
            state = "active" if c.active else "cessée" + (
                f" le {format_date(c.closed_on)}" if c.closed_on else "")
            out.append(f"  Registre : {c.name} — {state}"
                       + (f", créée le {format_date(c.created_on)}" if c.created_on else ""))
            if c.head_office:
                out.append(f"  Siège : {c.head_office}"
                           + ("" if c.head_office_active else " (fermé)"))
            if c.employees_label:
                out.append(f"  Effectif : {c.employees_label}")
        elif self.company.status == "not_found":
            out.append("  Registre : entreprise introuvable (non diffusible, ou SIREN erroné).")
        else:
            out.append(f"  Registre : statut inconnu. {self.company.message}")
        if self.company.from_cache and self.company.message:
            out.append(f"  ({self.company.message})")
        if self.notices.status == "unknown":
            out.append(f"  BODACC : inconnu. {self.notices.message}")
        else:
            found = current_proceeding(self.notices.value)
            state = "aucune procédure collective en cours"
            if found is not None:
                state = found.nature or found.family
                if found.published_on is not None:
                    state += f" publiée le {format_date(found.published_on)}"
            out.append(f"  BODACC : {state} ({len(self.notices.value)} annonce(s)).")
        for kind, _on, text, _ in self.signs:
            out.append(f"  Signal : {SIGN_KINDS[kind].label} — {text}")
        if self.own:
            for row, a in self.own:
                b = a.behaviour
                out.append(f"  Votre historique : client {row.ref} ({row.name}), note "
                           f"{a.score.grade} ({a.score.score}/100), {b.paid} facture(s) "
                           f"réglée(s) dont {b.paid_late} en retard, encours "
                           f"{format_money(b.open_amount)}")
        else:
            out.append("  Votre historique : aucune affaire avec cette entreprise.")
        if self.recommendation is not None:
            r = self.recommendation
            out.append(f"  Note conseillée : {r.grade} ({GRADE_LABELS[r.grade]}), score "
                       f"{r.score}/100")
            out.extend(f"    {f.text}" for f in r.factors)
            out.append(f"  Conditions conseillées : {r.policy.text}.")
        return out


def _client(engine: Engine, offline: bool) -> RegistryClient:
    cache = SqlCache(engine)
    if offline:
        return RegistryClient(cache=cache, offline=True)
    return client_from_env(cache=cache)


def check_company(engine: Engine, creditor: Any, siren: str, at: date, *,
                  offline: bool = False) -> CheckResult:
    """Before signing: the registers, this creditor's own history (never another's), and
    the recommended terms."""
    from relance.services.risk import assess_one

    siren = valid_siren(siren)
    with _client(engine, offline) as registry:
        company, notices = registry.company(siren), registry.notices(siren)
    signs = registry_signs(company.value, notices.value, at)
    result = CheckResult(siren, at, company, notices, signs)
    with engine.connect() as conn:
        rows = list(conn.execute(select(t.clients).where(
            t.clients.c.creditor_id == creditor.id, t.clients.c.siren == siren)))
        result.own = [(row, assess_one(conn, creditor.id, row.id, at)) for row in rows]
        observed = [ObservedSign(k, d, "registry", text) for k, d, text, _ in signs]
        if result.own:
            _, a = result.own[0]
            merged = {(o.kind, o.observed_on): o for o in observed}
            for s in a.signs:
                merged.setdefault((s.kind, s.observed_on),
                                  ObservedSign(s.kind, s.observed_on, s.source, s.detail))
            result.recommendation = score(a.behaviour, list(merged.values()))
        else:
            result.recommendation = score(behaviour([], at), observed)
    return result


def apply_registry(conn: Connection, creditor_id: int, client: Any, company: CompanyLookup,
                   notices: NoticesLookup, at: date) -> list[str]:
    """Record the signs and the proceeding the registers show for a client (idempotent)."""
    from relance.services.proceedings import open_proceeding
    from relance.services.risk import record_sign

    done: list[str] = []
    w = t.warning_signs
    existing = set(conn.execute(select(w.c.source_ref).where(w.c.client_id == client.id))
                   .scalars())
    for kind, on, text, ref in registry_signs(company.value, notices.value, at):
        if kind == "collective_proceedings":
            found = current_proceeding(notices.value)
            assert found is not None
            kind_map = {"plan": "redressement"}
            proc_kind = kind_map.get(found.kind, found.kind)
            _, created = open_proceeding(
                conn, creditor_id, client, kind=proc_kind,
                judgment_date=found.judgment_date or on, published_on=found.published_on,
                court=found.court, administrator=found.administrator, source="bodacc",
                source_ref=ref, by="Relance (BODACC)")
            if created:
                done.append(f"{client.ref} : {SIGN_KINDS[kind].label} — {text}")
            continue
        if ref in existing:
            continue
        source = "bodacc" if ref.startswith("bodacc:") else "registry"
        record_sign(conn, creditor_id, client, kind, on, text, "Relance (registre)",
                    source=source, ref=ref)
        done.append(f"{client.ref} : {SIGN_KINDS[kind].label} — {text}")
    return done


def refresh_clients(engine: Engine, creditor: Any, at: date, *,
                    client_id: int | None = None) -> list[str]:
    """Look up every client with a SIREN (or one) and record what the registers show."""
    with engine.connect() as conn:
        query = select(t.clients).where(t.clients.c.creditor_id == creditor.id,
                                        t.clients.c.siren != "")
        if client_id is not None:
            query = query.where(t.clients.c.id == client_id)
        clients = list(conn.execute(query))
    lines: list[str] = []
    unknown = 0
    with _client(engine, False) as registry:
        for client in clients:
            company, notices = registry.company(client.siren), registry.notices(client.siren)
            if "unknown" in (company.status, notices.status):
                unknown += 1
            with engine.begin() as conn:
                lines += apply_registry(conn, creditor.id, client, company, notices, at)
    head = (f"Registres consultés pour {len(clients)} client(s) avec SIREN : "
            f"{len(lines)} nouveau(x) signal(aux)")
    if unknown:
        head += f", {unknown} client(s) au statut inconnu (registre injoignable)"
    return [head + ".", *(f"  {line}" for line in lines)]

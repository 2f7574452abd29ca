"""Scénarios and Paramètres in the web application: YAML editing with validation, company
details, run settings, template previews, rates, users, API tokens, audit log; rights."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from relance.adapters import tables as t
from relance.services.users import token_user
from tests.conftest import WEB_PASSWORD, csrf_of
from tests.integration import test_web_work as work

SCENARIO = work.SCENARIO
ledger, worked = work.ledger, work.worked  # the fixtures of the work pages' tests


def text(answer: Any) -> str:
    """A page's text as read (HTML entities decoded)."""
    return unescape(answer.text)


def stored_scenarios(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(t.scenarios.c.name, t.scenarios.c.source)).all())


def creditor_row(engine, ref: str = "ACME") -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.creditors).where(t.creditors.c.ref == ref)).one()


def user_row(engine, username: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.users).where(t.users.c.username == username)).one()


# --- scenarios ---------------------------------------------------------------------------------


def test_the_scenarios_list_says_which_clients_follow_which(worked):
    for role in ("admin", "collector", "readonly"):
        page = worked.client(role).get("/c/ACME/scenarios")
        assert page.status_code == 200
        html = text(page)
        assert "Scénarios de relance" in html and "Relance standard" in html
        row = html.partition("Relance validée par une personne")[2].partition("</tr>")[0]
        assert "personnalisé" in row and 'href="/c/ACME/scenarios/valide#clients">3<' in row
        standard = html.partition("Relance standard")[2].partition("</tr>")[0]
        assert "livré" in standard and "#clients\">0<" in standard


def test_a_scenario_page_shows_its_steps_its_yaml_and_its_clients(worked):
    with worked.engine.connect() as conn:
        pro = conn.execute(select(t.clients.c.id).where(t.clients.c.ref == "PRO")).scalar_one()
    page = worked.client("readonly").get("/c/ACME/scenarios/valide")
    html = text(page)
    assert page.status_code == 200
    assert "J+30" in html and "Mise en demeure" in html and "obligatoire" in html
    assert "lettre recommandée avec accusé de réception" in html
    assert "Clients qui suivent ce scénario (3)" in html
    assert f'href="/c/ACME/clients/{pro}"' in html
    assert "<textarea" not in html and "label: Relance validée" in html  # read only
    admin = text(worked.client("admin").get("/c/ACME/scenarios/standard"))
    assert "<textarea" in admin and "name: standard" in admin
    assert worked.client("admin").get("/c/ACME/scenarios/inconnu").status_code == 404


def test_an_invalid_scenario_edit_is_refused_in_french_with_its_line_and_saves_nothing(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/scenarios/valide")
    broken = SCENARIO.replace("tone: formal", "tone: rude").replace("offset: 7", "offset: sept")
    answer = browser.post("/c/ACME/scenarios/valide",
                          data={"csrf_token": token, "source": broken})
    assert answer.status_code == 400
    html = text(answer)
    assert "Scénario refusé : rien n'a été enregistré" in html
    lines = broken.splitlines()
    tone_line = next(i for i, line in enumerate(lines, 1) if "rude" in line)
    offset_line = next(i for i, line in enumerate(lines, 1) if "sept" in line)
    assert f"Ligne {tone_line} — valide.yaml, étape 3" in html
    assert "valeur « rude » invalide ; attendu : une des valeurs courteous, firm, formal" in html
    assert f"Ligne {offset_line} — valide.yaml, étape 2" in html
    assert "tone: rude" in html  # the text typed is kept in the form
    assert stored_scenarios(worked.engine)["valide"] == SCENARIO
    syntax = browser.post("/c/ACME/scenarios/valide",
                          data={"csrf_token": token, "source": "name: [oops\n"})
    assert syntax.status_code == 400 and "ligne" in text(syntax) and "YAML invalide" in text(
        syntax)
    assert stored_scenarios(worked.engine)["valide"] == SCENARIO


def test_a_valid_scenario_edit_is_saved_and_audited(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/scenarios/valide")
    edited = SCENARIO.replace("offset: 7", "offset: 10")
    answer = browser.post("/c/ACME/scenarios/valide",
                          data={"csrf_token": token, "source": edited})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/c/ACME/scenarios/valide"
    assert stored_scenarios(worked.engine)["valide"] == edited
    assert "J+10" in text(browser.get("/c/ACME/scenarios/valide"))
    # Saving a shipped scenario makes the company's own version of it.
    standard = text(browser.get("/c/ACME/scenarios/standard"))
    source = unescape(standard.partition('name="source"')[2].partition(">")[2]
                      .partition("</textarea>")[0])
    saved = browser.post("/c/ACME/scenarios/standard", data={
        "csrf_token": token, "source": source.replace("priority: 0", "priority: 1")})
    assert saved.status_code == 303 and "standard" in stored_scenarios(worked.engine)
    with worked.engine.connect() as conn:
        actions = conn.execute(select(t.audit_log.c.action, t.audit_log.c.target)).all()
    assert ("scenario.save", "valide") in actions and ("scenario.save", "standard") in actions


# --- rights ------------------------------------------------------------------------------------


ADMIN_POSTS = [
    ("/c/ACME/scenarios/valide", {"source": SCENARIO}),
    ("/c/ACME/parametres/societe", {"legal_name": "X", "default_terms": "30 jours"}),
    ("/c/ACME/parametres/envoi", {"guard_max_per_week": "5"}),
    ("/c/ACME/parametres/taux", {"half": "2030-H1", "ecb": "2", "legal_private": "5",
                                 "legal_other": "3", "source": "https://example.org"}),
    ("/c/ACME/parametres/utilisateurs", {"username": "new", "password": "0123456789ab",
                                         "role": "admin"}),
    ("/c/ACME/parametres/utilisateurs/{readonly}/role", {"role": "admin"}),
    ("/c/ACME/parametres/utilisateurs/{readonly}/actif", {"active": "0"}),
]


def test_collector_gets_403_on_admin_posts_and_readonly_on_every_post(worked):
    readonly_id = user_row(worked.engine, "readonly").id
    before = creditor_row(worked.engine)
    for role in ("collector", "readonly"):
        browser = worked.client(role)
        token = worked.csrf(browser, "/c/ACME/parametres")
        posts = list(ADMIN_POSTS)
        if role == "readonly":
            posts += [("/c/ACME/parametres/jetons", {"name": "outil"}),
                      ("/c/ACME/parametres/jetons/1/revoquer", {})]
        for path, data in posts:
            answer = browser.post(path.format(readonly=readonly_id),
                                  data={"csrf_token": token, **data})
            assert answer.status_code == 403, (role, path)
            assert "Accès refusé" in text(answer)
    assert stored_scenarios(worked.engine)["valide"] == SCENARIO
    assert creditor_row(worked.engine).legal_name == before.legal_name
    row = user_row(worked.engine, "readonly")
    assert (row.role, row.active) == ("readonly", True)
    with worked.engine.connect() as conn:
        assert conn.execute(select(t.rate_overrides.c.id)).first() is None
        assert conn.execute(select(t.users.c.id).where(t.users.c.username == "new")).first() \
            is None
        assert conn.execute(select(t.api_tokens.c.id)).first() is None


def test_settings_show_everything_to_an_admin_and_only_their_tokens_to_others(worked):
    admin = text(worked.client("admin").get("/c/ACME/parametres"))
    for title in ("Société", "Serveur d'envoi", "Réglages du run", "Modèles de documents",
                  "Taux (BCE et intérêt légal)", "Utilisateurs de ACME Services SAS",
                  "Mes jetons d'API", "Journal d'audit"):
        assert title in admin, title
    assert 'value="732829320"' in admin and "2026-H1" in admin
    for role in ("collector", "readonly"):
        page = worked.client(role).get("/c/ACME/parametres")
        assert page.status_code == 200
        html = text(page)
        assert "Mes jetons d'API" in html
        assert "Journal d'audit" not in html and "Serveur d'envoi" not in html
        assert 'name="siren"' not in html
        assert ("Créer un jeton" in html) == (role == "collector")


# --- company, sending, templates, rates --------------------------------------------------------


def test_the_company_details_are_edited_with_siren_and_iban_checked(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    form = {"csrf_token": token, "legal_name": "ACME Services", "default_terms": "45 jours",
            "siren": "732829320", "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPPXXX", "signatory_name": "Claire Durand", "city": "Lyon"}
    bad_iban = browser.post("/c/ACME/parametres/societe",
                            data={**form, "iban": "FR76 3000 6000 0112 3456 7890 188"})
    assert bad_iban.status_code == 400 and "IBAN « FR76" in text(bad_iban)
    bad_siren = browser.post("/c/ACME/parametres/societe", data={**form, "siren": "732829321"})
    assert bad_siren.status_code == 400 and "SIREN" in text(bad_siren)
    assert creditor_row(worked.engine).legal_name == "ACME Services SAS"
    ok = browser.post("/c/ACME/parametres/societe", data=form)
    assert ok.status_code == 303
    row = creditor_row(worked.engine)
    assert (row.legal_name, row.iban, row.default_terms, row.signatory_name, row.city) == (
        "ACME Services", "FR7630006000011234567890189", "45 jours", "Claire Durand", "Lyon")
    with worked.engine.connect() as conn:
        detail = conn.execute(select(t.audit_log.c.detail).where(
            t.audit_log.c.action == "creditor.update")).scalar_one()
    assert "iban" in detail["fields"] and "siren" not in detail["fields"]


def test_run_settings_are_changed_through_the_same_checks_as_the_cli(worked):
    from relance.services.penalties import run_settings

    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    for wrong in ("beaucoup", "²", "3²", "9" * 5000, "-1", "31"):
        bad = browser.post("/c/ACME/parametres/envoi",
                           data={"csrf_token": token, "guard_max_per_week": wrong})
        assert bad.status_code == 400, wrong
        assert "attendu un nombre entier de 0 à 30" in text(bad)
    ok = browser.post("/c/ACME/parametres/envoi", data={
        "csrf_token": token, "guard_max_per_week": "3", "call_hours": "09:00-12:00"})
    assert ok.status_code == 303
    with worked.engine.connect() as conn:
        acme = creditor_row(worked.engine).id
        settings = run_settings(conn, acme)
    assert settings["guard_max_per_week"] == "3" and settings["call_hours"] == "09:00-12:00"
    assert settings["guard_min_gap_days"] == "3"


def test_a_template_preview_renders_on_an_invoice_of_the_company(worked):
    page = worked.client("admin").get(
        "/c/ACME/parametres?modele=relance_courtoise&type=email.txt")
    html = text(page)
    assert page.status_code == 200
    shown = re.search(r"Aperçu : relance_courtoise \(email.txt\) sur facture (F-\w+)",
                      re.sub("<[^>]+>", "", html))
    assert shown is not None and f"Facture n° {shown.group(1)} du" in html
    assert "ACME Services SAS" in html and "Madame, Monsieur" in html
    bad = worked.client("admin").get("/c/ACME/parametres?modele=relance_courtoise&type=x.py")
    assert bad.status_code == 400


def serve_every_company(engine, username: str) -> None:
    from relance.services.users import grant

    with engine.begin() as conn:
        grant(conn, user_row(engine, username).id,
              list(conn.execute(select(t.creditors.c.id)).scalars()))


def test_the_shared_rate_table_is_read_only_for_an_admin_of_one_company(worked):
    browser = worked.client("admin")
    page = text(browser.get("/c/ACME/parametres"))
    assert "2026-H1" in page and 'action="/c/ACME/parametres/taux"' not in page
    assert "communs à toutes les sociétés" in page
    token = worked.csrf(browser, "/c/ACME/parametres")
    refused = browser.post("/c/ACME/parametres/taux", data={
        "csrf_token": token, "half": "2026-H1", "ecb": "50", "legal_private": "60",
        "legal_other": "60", "source": "https://example.org", "replace": "1"})
    assert refused.status_code == 403 and "communs à toutes les sociétés" in text(refused)
    with worked.engine.connect() as conn:
        assert conn.execute(select(t.rate_overrides.c.id)).first() is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("half", "1999-H2", "entre 2000 et 2100"), ("half", "2101-H1", "entre 2000 et 2100"),
    ("half", "2500-H2", "entre 2000 et 2100"), ("ecb", "-0,5", "de 0 à 100"),
    ("legal_private", "100,01", "invraisemblable"), ("legal_other", "1e9", "invraisemblable"),
    ("ecb", "2,123456789", "au plus 4 décimales"), ("ecb", "abc", "pas un nombre"),
])
def test_rates_out_of_bounds_are_refused_in_french(worked, field, value, message):
    serve_every_company(worked.engine, "admin")
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    form = {"csrf_token": token, "half": "2030-H1", "ecb": "2,15", "legal_private": "6,5",
            "legal_other": "3,1", "source": "https://www.legifrance.gouv.fr/x", field: value}
    answer = browser.post("/c/ACME/parametres/taux", data=form)
    assert answer.status_code == 400 and message in text(answer)
    with worked.engine.connect() as conn:
        assert conn.execute(select(t.rate_overrides.c.id)).first() is None


def test_a_rate_is_added_like_relance_rates_add(worked):
    serve_every_company(worked.engine, "admin")
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    form = {"csrf_token": token, "half": "2030-H1", "ecb": "2,15", "legal_private": "6,5",
            "legal_other": "3,1", "source": "https://www.legifrance.gouv.fr/x"}
    assert 'action="/c/ACME/parametres/taux"' in text(browser.get("/c/ACME/parametres"))
    assert browser.post("/c/ACME/parametres/taux", data=form).status_code == 303
    with worked.engine.connect() as conn:
        row = conn.execute(select(t.rate_overrides)).one()
    assert (row.half, str(row.ecb), str(row.legal_private)) == ("2030-H1", "2.15", "6.5")
    again = browser.post("/c/ACME/parametres/taux", data=form)
    assert again.status_code == 400 and "déjà des taux" in text(again)
    bad = browser.post("/c/ACME/parametres/taux", data={**form, "half": "2030-H3",
                                                         "replace": "1"})
    assert bad.status_code == 400 and "Traceback" not in bad.text
    assert "2030-H1" in text(browser.get("/c/ACME/parametres"))


# --- users, tokens, audit ---------------------------------------------------------------------


def test_an_admin_adds_a_user_for_this_company_who_can_then_sign_in(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    short = browser.post("/c/ACME/parametres/utilisateurs", data={
        "csrf_token": token, "username": "lea", "password": "court", "role": "collector"})
    assert short.status_code == 400 and "Mot de passe trop court" in text(short)
    answer = browser.post("/c/ACME/parametres/utilisateurs", data={
        "csrf_token": token, "username": "lea", "full_name": "Léa Martin",
        "password": WEB_PASSWORD, "role": "collector"})
    assert answer.status_code == 303
    lea = worked.client("lea")
    assert lea.get("/").headers["location"] == "/c/ACME/"
    assert lea.get("/c/BETA/").status_code == 404
    assert "Léa Martin" in text(browser.get("/c/ACME/parametres"))
    taken = browser.post("/c/ACME/parametres/utilisateurs", data={
        "csrf_token": token, "username": "beta", "password": WEB_PASSWORD, "role": "admin"})
    assert taken.status_code == 400 and "existe déjà" in text(taken)


def test_an_admin_changes_a_role_and_disables_a_user_but_not_themselves(worked):
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    collector = user_row(worked.engine, "collector")
    signed_in = worked.client("collector")
    answer = browser.post(f"/c/ACME/parametres/utilisateurs/{collector.id}/role",
                          data={"csrf_token": token, "role": "readonly"})
    assert answer.status_code == 303
    assert user_row(worked.engine, "collector").role == "readonly"
    off = browser.post(f"/c/ACME/parametres/utilisateurs/{collector.id}/actif",
                       data={"csrf_token": token, "active": "0"})
    assert off.status_code == 303 and not user_row(worked.engine, "collector").active
    assert signed_in.get("/c/ACME/").headers["location"].startswith("/connexion")
    page = worked.client().get("/connexion")
    refused = worked.client().post("/connexion", data={
        "identifiant": "collector", "mot_de_passe": WEB_PASSWORD,
        "csrf_token": csrf_of(page.text)})
    assert refused.status_code != 303
    me = user_row(worked.engine, "admin")
    self_change = browser.post(f"/c/ACME/parametres/utilisateurs/{me.id}/role",
                               data={"csrf_token": token, "role": "readonly"})
    assert self_change.status_code == 400 and "votre propre rôle" in text(self_change)
    beta = user_row(worked.engine, "beta")
    other = browser.post(f"/c/ACME/parametres/utilisateurs/{beta.id}/actif",
                         data={"csrf_token": token, "active": "0"})
    assert other.status_code == 404 and user_row(worked.engine, "beta").active
    huge = browser.post(f"/c/ACME/parametres/utilisateurs/{2**64}/actif",
                        data={"csrf_token": token, "active": "0"})
    assert huge.status_code == 422 and "Traceback" not in huge.text


def test_disabling_a_user_revokes_their_api_tokens(worked):
    secret = worked.token("collector")
    browser = worked.client("admin")
    token = worked.csrf(browser, "/c/ACME/parametres")
    collector = user_row(worked.engine, "collector")
    for active in ("0", "1"):
        answer = browser.post(f"/c/ACME/parametres/utilisateurs/{collector.id}/actif",
                              data={"csrf_token": token, "active": active})
        assert answer.status_code == 303
    assert user_row(worked.engine, "collector").active
    with worked.engine.begin() as conn:
        assert token_user(conn, secret) is None


def test_an_admin_cannot_manage_a_user_who_also_serves_another_company(worked):
    from relance.services.users import add_user

    with worked.engine.begin() as conn:
        add_user(conn, "both", WEB_PASSWORD, "collector", full_name="Deux Sociétés",
                 creditor_ids=list(conn.execute(select(t.creditors.c.id)).scalars()))
    both = user_row(worked.engine, "both")
    browser = worked.client("admin")
    page = text(browser.get("/c/ACME/parametres"))
    assert "Deux Sociétés" in page and "sert aussi d'autres sociétés" in page
    assert f"/utilisateurs/{both.id}/" not in page
    assert f"/utilisateurs/{user_row(worked.engine, 'collector').id}/role" in page
    token = worked.csrf(browser, "/c/ACME/parametres")
    promote = browser.post(f"/c/ACME/parametres/utilisateurs/{both.id}/role",
                           data={"csrf_token": token, "role": "admin"})
    disable = browser.post(f"/c/ACME/parametres/utilisateurs/{both.id}/actif",
                           data={"csrf_token": token, "active": "0"})
    assert promote.status_code == 404 and disable.status_code == 404
    row = user_row(worked.engine, "both")
    assert (row.role, row.active) == ("collector", True)
    serve_every_company(worked.engine, "admin")  # an admin of both companies may
    again = browser.post(f"/c/ACME/parametres/utilisateurs/{both.id}/role",
                         data={"csrf_token": token, "role": "readonly"})
    assert again.status_code == 303 and user_row(worked.engine, "both").role == "readonly"


def test_api_tokens_are_shown_once_and_revoked_by_their_owner_only(worked):
    browser = worked.client("collector")
    token = worked.csrf(browser, "/c/ACME/parametres")
    answer = browser.post("/c/ACME/parametres/jetons",
                          data={"csrf_token": token, "name": "tableur"})
    assert answer.status_code == 200 and "il ne sera plus affiché" in text(answer)
    secret = text(answer).partition('class="wk-token">')[2].partition("<")[0]
    with worked.engine.begin() as conn:
        user = token_user(conn, secret)
        token_id = conn.execute(select(t.api_tokens.c.id)).scalar_one()
    assert user is not None and user.username == "collector"
    page = text(browser.get("/c/ACME/parametres"))
    assert "tableur" in page and secret not in page
    other = worked.client("admin")
    other_token = worked.csrf(other, "/c/ACME/parametres")
    assert other.post(f"/c/ACME/parametres/jetons/{token_id}/revoquer",
                      data={"csrf_token": other_token}).status_code == 404
    revoked = browser.post(f"/c/ACME/parametres/jetons/{token_id}/revoquer",
                           data={"csrf_token": token})
    assert revoked.status_code == 303
    with worked.engine.begin() as conn:
        assert token_user(conn, secret) is None


def test_the_audit_log_shows_this_company_s_latest_writes_only(worked):
    admin = worked.client("admin")
    token = worked.csrf(admin, "/c/ACME/parametres")
    admin.post("/c/ACME/parametres/envoi", data={"csrf_token": token, "guard_gap": "x",
                                                  "guard_min_gap_days": "4"})
    beta = worked.client("beta")
    beta_token = worked.csrf(beta, "/c/BETA/parametres")
    beta.post("/c/BETA/parametres/jetons", data={"csrf_token": beta_token, "name": "bêta"})
    journal = text(admin.get("/c/ACME/parametres")).partition("Journal d'audit")[2]
    assert "settings.update" in journal and "admin" in journal
    assert "token.create" not in journal

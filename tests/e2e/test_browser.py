"""End-to-end: Debian's Chromium, driven by Playwright, uses the real application over HTTP.

A credit manager signs in, imports a file, previews then executes the day's run and follows its
progress, logs a call with a promise and sees it on the timeline, approves a reminder; the
sign-in form and the navigation work with the keyboard; a phone shows the pages without
sideways scrolling; screenshots of the main pages are kept in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import WEB_DAY, WEB_PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.integration.test_imports import write

pytestmark = pytest.mark.browser

NAVIGATION = ("Tableau de bord", "Clients", "Factures", "À faire aujourd'hui", "Scénarios",
              "Relances", "Imports", "Paramètres")
PAGES = {"dashboard": "/", "clients": "/clients", "factures": "/factures",
         "a-faire": "/a-faire", "scenarios": "/scenarios", "relances": "/relances",
         "imports": "/imports", "parametres": "/parametres"}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def ledger(web: Any, relance: Any, tmp_path: Path) -> None:
    """ACME's ledger on 30 June 2026: Garage Martin owes an invoice 75 days late (the formal
    notice is due, and waits for approval), Boulangerie Dupont one 10 days late."""
    write(tmp_path / "clients.csv",
          "client_ref,name,kind,siren,email,phone,address,postal_code,city\n"
          "GAR,Garage Martin SARL,b2b,443061841,compta@garage-martin.fr,04 72 00 00 00,"
          "3 rue de la Gare,69001,Lyon\n"
          "BOU,Boulangerie Dupont,b2b,,boulangerie@dupont.fr,01 23 45 67 89,"
          "12 rue de la Paix,75002,Paris\n")
    write(tmp_path / "invoices.csv", "number,client_ref,issue_date,due_date,amount\n"
          "F-100,GAR,2026-03-17,2026-04-16,1200.00\n"
          "F-101,BOU,2026-05-21,2026-06-20,480.00\n")
    relance("import", "clients", str(tmp_path / "clients.csv"), "--creditor", "ACME")
    relance("import", "invoices", str(tmp_path / "invoices.csv"), "--creditor", "ACME")


def spaced(text: str) -> str:
    """Text with the French typographic spaces (thin, no-break) as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def is_png(path: Path) -> bool:
    """A non-empty PNG file."""
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG


def focused(tab: Any) -> str:
    """The element holding the focus: its id, else its text."""
    return str(tab.evaluate("() => { const e = document.activeElement;"
                            " if (e === document.body) return 'BODY';"
                            " return e.id || (e.innerText || e.value || '').trim(); }"))


def focus_walk(tab: Any, presses: int) -> list[str]:
    """What receives the focus on each Tab press."""
    seen = []
    for _ in range(presses):
        tab.keyboard.press("Tab")
        seen.append(focused(tab))
    return seen


def test_sign_in_through_the_form_and_a_wrong_password_is_refused(page):
    page.goto("/c/ACME/clients")
    assert page.url.endswith("/connexion?suite=/c/ACME/clients")
    page.fill("#identifiant", "collector")
    page.fill("#mot_de_passe", "pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    assert "Identifiant ou mot de passe incorrect" in page.get_by_role("alert").inner_text()
    page.fill("#mot_de_passe", WEB_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/c/ACME/clients")   # back where the user was going
    assert "Collector" in page.locator(".who").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
    page.goto("/c/ACME/")
    assert "/connexion" in page.url
    assert page.js_errors == []


def test_the_sign_in_form_and_the_navigation_work_with_the_keyboard(page):
    page.goto("/connexion")
    assert focused(page) == "identifiant"          # the form has the focus on arrival
    assert focus_walk(page, 2) == ["mot_de_passe", "Se connecter"]
    assert "Aller au contenu" in focus_walk(page, 3)    # round the page and back
    while focused(page) != "identifiant":
        page.keyboard.press("Tab")
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(WEB_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/c/ACME/")
    walk = focus_walk(page, 12)
    reached = [label for label in walk if label in NAVIGATION]
    assert reached == list(NAVIGATION)
    while focused(page) != "Clients":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/c/ACME/clients")
    # The skip link is the first stop and takes the keyboard to the content.
    page.keyboard.press("Tab")
    assert focused(page) == "Aller au contenu"
    page.keyboard.press("Enter")
    assert focused(page) == "contenu"


def fits_the_screen(tab: Any) -> None:
    """The page body is no wider than the screen (wide tables scroll inside their box)."""
    widths = tab.evaluate("() => [document.documentElement.scrollWidth,"
                          " document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{tab.url} is {widths[:2]} px wide on a phone"


def test_a_phone_shows_every_page_without_sideways_scrolling(chromium, live, ledger):
    context = chromium.new_context(base_url=live.url, locale="fr-FR", is_mobile=True,
                                   has_touch=True, viewport={"width": 375, "height": 740})
    tab = context.new_page()
    try:
        sign_in(tab)
        for path in PAGES.values():
            tab.goto(f"/c/ACME{path}")
            fits_the_screen(tab)
        tab.goto("/c/ACME/clients")
        tab.get_by_role("link", name="Garage Martin SARL").click()
        fits_the_screen(tab)
        tab.get_by_role("link", name="F-100").click()
        fits_the_screen(tab)
        # The navigation folds behind a button on a phone and opens on demand.
        tab.goto("/c/ACME/")
        menu = tab.get_by_role("button", name="Menu")
        assert menu.is_visible() and not tab.get_by_role("link", name="Clients").is_visible()
        menu.click()
        assert tab.get_by_role("link", name="Clients").is_visible()
        assert is_png(screenshot(tab, "telephone-tableau-de-bord", full_page=False))
    finally:
        context.close()


def test_import_a_clients_file_then_an_invoices_file_and_see_a_refusal_by_row(page, tmp_path):
    sign_in(page, "collector")
    page.get_by_role("link", name="Imports").click()
    page.wait_for_url("**/c/ACME/imports")
    clients = write(tmp_path / "clients.csv",
                    "client_ref;name;kind;email;city\n"
                    "IMP1;Imprimerie Lefèvre SAS;b2b;compta@lefevre.fr;Lyon\n"
                    "IMP2;Sophie Bernard;particulier;sophie@example.org;Nantes\n")
    page.select_option("#kind", label="Clients")
    page.set_input_files("#fichier", str(clients))
    page.get_by_role("button", name="Importer").click()
    assert "clients.csv : 2 ligne(s)" in page.get_by_role("status").inner_text()
    invoices = write(tmp_path / "factures.csv", "number;client_ref;issue_date;due_date;amount\n"
                     "FA-1;IMP1;02/05/2026;01/06/2026;1 234,56\n")
    page.select_option("#kind", label="Factures et avoirs")
    page.set_input_files("#fichier", str(invoices))
    page.get_by_role("button", name="Importer").click()
    assert "factures.csv : 1 ligne(s)" in page.get_by_role("status").inner_text()
    wrong = write(tmp_path / "faux.csv", "number,client_ref,issue_date,due_date,amount\n"
                  "FA-2,IMP1,2026-05-02,le 1er juin,100.00\n")
    page.set_input_files("#fichier", str(wrong))
    page.get_by_role("button", name="Importer").click()
    refusal = page.locator(".wk-refused")
    assert "Import refusé" in refusal.inner_text()
    assert "le 1er juin" in refusal.locator("tbody tr").first.inner_text()
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Imprimerie Lefèvre SAS").click()
    invoices_shown = spaced(page.locator("section[aria-labelledby=factures]").inner_text())
    assert "FA-1" in invoices_shown and "1 234,56 €" in invoices_shown
    assert page.js_errors == []


@pytest.fixture
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Runs started from the web wait for `release.set()`: the progress page is seen while
    the job is running, then followed to its end."""
    import threading

    from relance.services import jobs

    release, ended = threading.Event(), threading.Event()
    spawn = jobs.spawn

    def held(target: Any, *args: Any) -> Any:
        def later(*inner: Any) -> None:
            release.wait(30)
            if not ended.is_set():   # a job still held when the test ends never runs
                target(*inner)
        return spawn(later, *args)

    monkeypatch.setattr(jobs, "spawn", held)
    yield release
    ended.set()
    release.set()


def follow_job(page: Any, release: Any) -> None:
    """On a job's page: it shows its progress while running, then the page follows the job to
    its result."""
    page.wait_for_url(re.compile(r".*/relances/job/\d+$"))
    assert "en cours" in page.locator("h1").inner_text()
    expect(page.locator("progress")).to_be_visible()
    release.set()
    page.wait_for_function("() => !document.querySelector('progress')", timeout=20_000)
    assert "terminé" in page.locator("h1").inner_text()
    release.clear()


def test_preview_then_execute_the_run_and_approve_a_formal_notice(page, ledger, held_jobs):
    page.on("dialog", lambda dialog: dialog.accept())   # "Exécuter le run ?"
    sign_in(page, "collector")
    page.get_by_role("link", name="Relances").click()
    assert page.input_value("#date-simulation") == "2026-06-30"
    page.get_by_role("button", name="Simuler").click()
    follow_job(page, held_jobs)
    assert "Simulation : rien n'a été écrit." in page.content()
    figures = page.locator(".figure").all_inner_texts()
    assert any("Actions prévues\n2" in f for f in figures), figures
    page.get_by_role("link", name="← Relances").click()
    assert "Aucun run pour l'instant." in page.content()    # the preview wrote nothing
    page.get_by_role("button", name="Exécuter le run").click()
    follow_job(page, held_jobs)
    assert any("Actions préparées\n2" in f for f in page.locator(".figure").all_inner_texts())
    page.get_by_role("link", name="← Relances").click()
    assert "30 juin 2026" in page.locator("table").first.inner_text()
    # À faire: the formal notice to Garage Martin waits for a signature, with its preview.
    page.get_by_role("link", name="À faire aujourd'hui").click()
    notices = page.locator("#mises-en-demeure article")
    assert notices.count() == 1
    notice = notices.first
    assert "Garage Martin SARL" in notice.inner_text()
    assert "F-100" in notice.inner_text()
    notice.get_by_role("button", name="Signer et valider").click()
    assert "validé" in page.get_by_role("status").inner_text()
    assert "Aucune mise en demeure n'attend de signature." in page.content()
    assert page.js_errors == []


def test_log_a_call_with_a_promise_and_see_it_on_the_timeline(page, ledger):
    sign_in(page, "collector")
    page.get_by_role("link", name="Clients", exact=True).click()
    page.fill("#q", "garage")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Garage Martin SARL").click()
    page.select_option("#outcome", label="promesse de paiement")
    page.fill("#call-note", "le gérant paiera vendredi")
    page.fill("#call-amount", "1 200,00")
    page.fill("#call-date", "2026-07-03")
    page.get_by_role("button", name="Enregistrer l'appel").click()
    # The POST redirects back to the page with a message: wait for it (is_visible does not).
    expect(page.get_by_role("status")).to_be_visible(timeout=15_000)
    timeline = spaced(page.locator("ol.timeline").inner_text())
    assert "30/06/2026 Appel — Appel : promesse de paiement — le gérant paiera vendredi" in timeline
    assert "Promesse" in timeline and "1 200,00 €" in timeline and "03/07/2026" in timeline
    commitments = spaced(page.locator("section[aria-labelledby=contacts]").inner_text())
    assert "Promesse de 1 200,00 € au 03/07/2026" in commitments
    # The dashboard counts it in the money promised this week.
    page.get_by_role("link", name="Tableau de bord").click()
    promised = spaced(page.locator("section[aria-labelledby=promis]").inner_text())
    assert "Garage Martin SARL" in promised and "1 200,00 €" in promised
    # A promise without its date is refused in French, and nothing is recorded.
    page.go_back()
    page.select_option("#outcome", label="promesse de paiement")
    page.fill("#call-amount", "50")
    page.get_by_role("button", name="Enregistrer l'appel").click()
    assert "Une promesse demande un montant et une date." in page.get_by_role("alert").inner_text()
    assert page.locator("ol.timeline li").filter(has_text="Appel :").count() == 1
    assert page.js_errors == []


def test_screenshots_of_the_main_pages(page, ledger, relance):
    relance("run", "--date", WEB_DAY)     # the day's work exists: à faire, relances, dashboard
    page.goto("/connexion")
    shots = [screenshot(page, "connexion")]
    sign_in(page)
    for name, path in PAGES.items():
        answer = page.goto(f"/c/ACME{path}")
        assert answer is not None and answer.status == 200, f"{path}: {answer}"
        assert page.locator("h1").count() >= 1
        shots.append(screenshot(page, name))
    page.goto("/c/ACME/clients")
    page.get_by_role("link", name=re.compile("Garage Martin")).first.click()
    page.wait_for_url(re.compile(r".*/c/ACME/clients/\w+"))
    assert "Garage Martin SARL" in page.locator("h1").inner_text()
    assert "Relance" in page.locator("ol.timeline").inner_text()   # the run's reminder
    shots.append(screenshot(page, "client"))
    page.get_by_role("link", name="F-100").click()
    assert "F-100" in page.locator("h1").inner_text()
    shots.append(screenshot(page, "facture"))
    assert all(is_png(path) for path in shots)
    assert page.js_errors == []

"""What the registers' answers mean as warning signs: young, closed, deregistered, in
collective proceedings (and no longer once the proceeding is closed)."""

from __future__ import annotations

from datetime import date

from relance.adapters.registry import Company, Notice
from relance.services.registry import current_proceeding, registry_signs

AT = date(2026, 11, 23)


def company(**changes) -> Company:
    values = dict(siren="530530419", name="MENUISERIE DUVAL", active=True,
                  created_on=date(2011, 3, 14), closed_on=None, legal_form="5499",
                  activity="43.32A", employees="11", head_office="1 RUE A, 69001 LYON",
                  head_office_siret="53053041900017", head_office_active=True)
    values.update(changes)
    return Company(**values)


def notice(id_: str, published: date, kind: str, nature: str = "",
           notice_type: str = "Avis initial", judgment: date | None = None) -> Notice:
    return Notice(id_, published, "Procédures collectives", kind, nature, judgment,
                  "Tribunal de commerce de Lyon", "Maître X", "", notice_type)


def kinds(signs):
    return [k for k, *_ in signs]


def test_an_old_active_company_shows_nothing():
    assert registry_signs(company(), (), AT) == []


def test_a_young_company():
    signs = registry_signs(company(created_on=date(2025, 2, 1)), (), AT)
    assert kinds(signs) == ["young_company"] and signs[0][1] == date(2025, 2, 1)


def test_a_closed_company_and_a_deregistration():
    closed = registry_signs(company(active=False, closed_on=date(2025, 9, 30)), (), AT)
    assert kinds(closed) == ["closed"] and "30 septembre 2025" in closed[0][2]
    radiated = registry_signs(company(), (notice("R1", date(2026, 6, 30), "radiation"),), AT)
    assert kinds(radiated) == ["closed"] and radiated[0][3] == "bodacc:R1"


def test_an_open_proceeding_is_the_newest_insolvency_notice():
    opening = notice("O1", date(2026, 3, 10), "redressement",
                     "Jugement d'ouverture d'une procédure de redressement judiciaire",
                     judgment=date(2026, 3, 2))
    conversion = notice("C1", date(2026, 5, 12), "liquidation",
                        "Jugement de conversion en liquidation judiciaire",
                        judgment=date(2026, 5, 5))
    found = registry_signs(company(), (conversion, opening), AT)
    assert kinds(found) == ["collective_proceedings"]
    assert found[0][1] == date(2026, 5, 5) and found[0][3] == "bodacc:C1"
    closure = notice("X1", date(2026, 6, 23), "cloture", "Jugement de clôture")
    assert current_proceeding((closure, conversion, opening)) is None
    cancelled = notice("A1", date(2026, 7, 1), "liquidation", notice_type="Avis d'annulation")
    assert current_proceeding((cancelled, opening)) == opening

"""Both official languages: a complete French translation and a switch that remembers the choice."""

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo"

PAGES_FR = {
    "/": ["Tableau de bord", "Signalements ouverts par destination", "Décisions récentes"],
    "/flags/": ["File des signalements", "Appliquer les filtres", "Traiter les signalements sélectionnés"],
    "/permits/": ["Licences", "Télécharger ces résultats en CSV", "En vigueur"],
    "/permits/EXP-2020-00123/": ["Licence EXP-2020-00123", "Chronologie", "Statut à une date choisie",
                                 "Assurances d'utilisation finale"],
    "/destinations/": ["Trouver une destination"],
    "/destinations/TR/": ["Faits de politique", "Consigner une preuve", "Membre de l'OTAN", "Crédibilité"],
    "/reviews/": ["Examens"],
}


def test_po_file_is_complete():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.split("\n\n")[1:]
    assert len(entries) > 300
    for entry in entries:
        assert re.search(r'msgstr(\[0\])? "(?!")', entry) or re.search(r'msgstr(\[0\])? ""\n"', entry), entry


def test_compiled_catalogue_matches_the_po_file():
    catalogue = gettext.GNUTranslations(MO.open("rb"))
    assert catalogue.gettext("Dashboard") == "Tableau de bord"
    assert catalogue.gettext("Flag queue") == "File des signalements"
    msgids = re.findall(r'^msgid "(.+)"$', PO.read_text(encoding="utf-8"), re.M)
    singulars = [m for m in msgids if "\\" not in m]
    untranslated = [m for m in singulars if catalogue.gettext(m.replace('\\"', '"')) == m
                    and m not in {"Destination", "Destinations", "Notes", "Note", "Description", "Source",
                                  "Total", "Pages", "Page %(number)s of %(total)s", "%(count)s %(label)s",
                                  # the same word in both languages
                                  "Dates", "destination", "table", "action"}]
    assert not untranslated


@pytest.mark.django_db
@pytest.mark.parametrize("url, texts", list(PAGES_FR.items()))
def test_pages_in_french(scenario, client_for, url, texts):
    client = client_for("official", username="agent")
    client.cookies["django_language"] = "fr"
    html = client.get(url).content.decode()
    assert '<html lang="fr">' in html
    assert "Connecté en tant que <strong>agent</strong>" in html and "Rôle : <strong>Agent</strong>" in html
    for text in texts:
        assert text in html, text
    for english in ("Dashboard", "Sign out", "Skip to main content"):
        assert english not in html


@pytest.mark.django_db
def test_language_switch_remembers_the_choice(scenario, client_for):
    client = client_for("reader")
    html = client.get("/flags/").content.decode()
    assert 'name="language" value="fr"' in html and 'action="/i18n/setlang/"' in html
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/flags/"})
    assert response.status_code == 302 and response["Location"] == "/flags/"
    assert client.cookies["django_language"].value == "fr"
    assert "File des signalements" in client.get("/flags/").content.decode()
    assert "Tableau de bord" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Dashboard" in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_in_page_in_french(client):
    client.cookies["django_language"] = "fr"
    html = client.get("/accounts/login/").content.decode()
    assert "Se connecter" in html and "Nom d’utilisateur" in html or "Nom d'utilisateur" in html


@pytest.mark.django_db
def test_service_messages_in_french(scenario, client_for, official):
    from permits.models import Destination
    from reviews.services import open_review

    review = open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    client = client_for("official")
    client.cookies["django_language"] = "fr"
    response = client.post(f"/reviews/{review.pk}/recommendation/", {"recommendation": "suspend",
                                                                     "rationale": "r"})
    assert "une constatation pour chaque critère. Manquants" in response.content.decode()

"""Both official languages: a complete French translation and a switch that remembers the choice."""

import datetime as dt
import gettext
import re
from html import unescape
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


@pytest.mark.django_db
def test_dossier_history_in_french_for_auditors(scenario, client_for):
    from permits import services

    services.update_assurance(assurance=scenario["assurance"], compliance="breached", notes="Vu en AZ")
    client = client_for("auditor")
    client.cookies["django_language"] = "fr"
    html = client.get("/permits/EXP-2020-00123/").content.decode()
    assert 'id="audit-history-title">Historique</h2>' in html
    for text in ("Quand", "Qui", "Quoi", "Avant → après", "Requête", "modifié", "créé",
                 "Assurance d&#x27;utilisation finale", "<dt>Conformité</dt>", "<dt>Remarques</dt>",
                 "<dt>Numéro</dt>", "<dt>Statut</dt>"):
        assert text in html, text
    for english in ("History", "Before → after", "changed", "created", "End use assurance", "<dt>Compliance</dt>"):
        assert english not in html, english


@pytest.mark.django_db
@pytest.mark.second_factor
def test_two_factor_pages_in_french(client, make_user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    make_user("decision_maker", username="ministre")
    assert client.login(username="ministre", password=PASSWORD)
    client.cookies["django_language"] = "fr"
    setup = unescape(client.get("/accounts/2fa/?next=/").content.decode())
    for text in ("<h1>Configurer la connexion à deux facteurs</h1>", "Votre rôle exige un second facteur",
                 "Code QR pour votre application d'authentification", "Ou saisissez cette clé à la main",
                 "Code à six chiffres de votre application d'authentification", ">Confirmer</button>"):
        assert text in setup, text
    device = TOTPDevice.objects.get(user__username="ministre")
    device.confirmed = True
    device.save()
    verify = client.get("/accounts/2fa/").content.decode()
    assert "<h1>Connexion à deux facteurs</h1>" in verify and ">Vérifier</button>" in verify
    assert "Appareil perdu? Demandez à un administrateur de le retirer" in verify
    right = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    wrong = unescape(client.post("/accounts/2fa/", {"token": "000000" if right != "000000" else "111111"})
                          .content.decode())
    assert "Ce code est erroné (ou a déjà été utilisé)." in wrong
    assert "Two-factor" not in verify + wrong


def _suspended_on(day, decision_maker):
    from permits import services
    from tests.factories import PermitFactory

    permit = PermitFactory(number="EXP-2020-00777")
    services.record_decision(permit=permit, kind="suspend", reason="Diversion.", effective_on=day,
                             decided_by=decision_maker)
    return permit


@pytest.mark.django_db
def test_service_error_on_a_page_in_french(client, decision_maker):
    """An effective date before the permit's last decision: the lifecycle's reason, in French."""
    permit = _suspended_on(dt.date(2021, 3, 10), decision_maker)
    client.force_login(decision_maker)
    client.cookies["django_language"] = "fr"
    response = client.post("/admin/permits/permit/decide/reinstate/", {
        "ids": str(permit.pk), "reason": "Motif.", "authority": "LLEI, par. 10(1)",
        "effective_on": "2021-03-01", "preview": "1",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ne doit pas être antérieure à la dernière décision visant la licence (2021-03-10)." in html
    assert "0 licence passera à « En vigueur »" in html and "1 licence ne sera pas traitée" in html
    assert "Mettre à jour les listes pour cette date" in html
    assert "Must not be before" not in html


@pytest.mark.django_db
def test_api_answers_in_english_unless_the_client_asks_for_french(decision_maker):
    from rest_framework.test import APIClient

    permit = _suspended_on(dt.date(2021, 3, 10), decision_maker)
    client = APIClient()
    client.force_authenticate(decision_maker)
    url = f"/api/v1/permits/{permit.number}/decisions/"
    data = {"kind": "reinstate", "reason": "r", "authority": "EIPA s.10(1)", "effective_on": "2021-03-01"}
    english = client.post(url, data, format="json")
    assert english.status_code == 400
    assert english.json()["effective_on"] == ["Must not be before the permit's last decision (2021-03-10)."]
    french = client.post(url, data, format="json", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9")
    assert french.status_code == 400
    assert french.json()["effective_on"] == [
        "Ne doit pas être antérieure à la dernière décision visant la licence (2021-03-10)."]
    conflict = client.post(url, {**data, "kind": "issue", "effective_on": "2021-03-12"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["detail"].startswith("Permit EXP-2020-00777 is suspended: 'issue' is allowed only from")

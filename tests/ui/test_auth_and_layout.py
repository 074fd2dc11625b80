"""Sign in and out, and what every page carries: the user's name and role, one main, one h1."""

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = ["/", "/flags/", "/permits/", "/permits/EXP-2020-00123/", "/destinations/", "/destinations/TR/",
         "/reviews/"]


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_has_username_and_password(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert '<label for="id_username">' in html and '<label for="id_password">' in html


def test_sign_in_and_out(client, official):
    response = client.post("/accounts/login/", {"username": "official", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, official):
    response = client.post("/accounts/login/", {"username": "official", "password": "nope"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", PAGES)
def test_every_page_shows_name_role_one_main_one_h1(scenario, client_for, url):
    client = client_for("auditor", username="ada")
    html = client.get(url).content.decode()
    assert "Signed in as <strong>ada</strong>" in html
    assert "Role: <strong>Auditor</strong>" in html
    assert len(re.findall(r"<main\b", html)) == 1
    assert len(re.findall(r"<h1\b", html)) == 1
    assert 'class="skip-link" href="#main"' in html


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_script_or_style(scenario, client_for, url):
    """A Content-Security-Policy forbids them: scripts come from files, styles from the stylesheet."""
    html = client_for("official").get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert '"includeIndicatorStyles": false' in html


@pytest.mark.parametrize("url", PAGES)
def test_every_form_control_has_a_label(scenario, client_for, url):
    html = client_for("official").get(url).content.decode()
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        if "aria-label=" in tag:
            continue
        ident = re.search(r'id="([^"]+)"', tag)
        assert ident and ident.group(1) in labelled, f"unlabelled control: {tag}"


@pytest.mark.parametrize("url", PAGES)
def test_element_ids_are_unique(scenario, client_for, url):
    html = client_for("official").get(url).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert "<style" not in text and not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path

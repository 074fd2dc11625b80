"""Fixtures for the admin tests: permits to act on, and a headless Chromium."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import PermitFactory


@pytest.fixture
def three_active(db):
    return [PermitFactory(number=f"EXP-ADM-{i}") for i in (1, 2, 3)]


@pytest.fixture
def one_pending(db):
    return PermitFactory(number="EXP-ADM-PEND", status="pending", received_on=dt.date(2020, 6, 1))


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def browser_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def session_cookie_for(user, live_server_url):
    """A logged-in session for ``user`` as a browser cookie (no login form needed)."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server_url,
    }

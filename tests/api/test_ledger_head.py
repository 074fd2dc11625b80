"""GET /api/v1/ledger/head/: the latest signed checkpoint, for every role."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from permits import checkpoints
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/ledger/head/"
FIELDS = {"last_id", "size", "head", "signed_at", "signature", "key_id", "public_key"}


@pytest.mark.parametrize("role", ["official", "decision_maker", "reader", "auditor", "superuser"])
def test_every_role_reads_the_latest_signed_head(client_for, role):
    PermitFactory(number="EXP-HEAD-1")
    checkpoints.write_checkpoint()
    PermitFactory(number="EXP-HEAD-2")
    latest = checkpoints.write_checkpoint()
    response = client_for(role).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert (body["last_id"], body["size"], body["head"]) == (latest.last_id, 2, latest.head)
    assert body["signed_at"] == checkpoints.signed_at_text(latest.signed_at)
    assert body["signed_at"].endswith("Z")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    public.verify(base64.b64decode(body["signature"]), checkpoints.signed_bytes(
        last_id=body["last_id"], size=body["size"], head=body["head"], signed_at=body["signed_at"]))


def test_without_credentials_401_and_without_a_role_403(client_for):
    PermitFactory(number="EXP-HEAD-1")
    checkpoints.write_checkpoint()
    anonymous = client_for(None).get(URL)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Token")
    assert client_for("norole").get(URL).status_code == 403


def test_before_the_first_checkpoint_404_with_a_message(client_for):
    response = client_for("reader").get(URL)
    assert response.status_code == 404
    assert "No checkpoint" in response.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nobody_writes_the_head(client_for, method):
    response = getattr(client_for("superuser"), method)(URL, {}, format="json")
    assert response.status_code == 405

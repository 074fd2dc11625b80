"""Helpers for tests that sign in for real as a user who needs a second factor."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def pass_second_factor(client, user, next_url="/"):
    """Give /accounts/2fa/ a valid code from a (new or existing) confirmed authenticator."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )
    response = client.post("/accounts/2fa/", {"token": current_code(device), "next": next_url})
    assert response.status_code == 302, response.content[:500]
    return response

"""The second sign-in step (TOTP): set up an authenticator once, then verify.

/accounts/2fa/ shows, to a signed-in user without a confirmed device, a QR
code (inline SVG made on the server: no script, no external service) and the
secret as text; the first correct code confirms the device. After that, the
page asks for a code at every sign-in. A lost device is removed by a
superuser in the admin ("TOTP devices"), which brings the user back to set-up.
"""

from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code from your authenticator"), regex=r"^\s*\d{6}\s*$",
        max_length=12, error_messages={"invalid": _("Enter the six digits your authenticator shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return "/"
    return target


def _qr_svg(data):
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    # Generated here from our own data: an SVG path, no text, no script.
    return mark_safe(image.to_string(encoding="unicode"))  # nosec B308 B703


def _spaced(secret):
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def two_factor(request):
    user = request.user
    if user.is_verified():
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    setting_up = device is None
    if setting_up:
        # The same unconfirmed device across reloads, so the QR code stays valid.
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first() or \
            TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session.cycle_key()  # a new session id for the stronger sign-in
            django_otp.login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("Too many attempts: wait a moment and try again.") if not allowed
                       else _("That code is not right (or has been used already)."))
    context = {"form": form, "next": _safe_next(request)}
    if setting_up:
        secret = b32encode(device.bin_key).decode()
        context.update(qr_svg=_qr_svg(device.config_url), secret=_spaced(secret))
        return render(request, "registration/otp_setup.html", context)
    return render(request, "registration/otp_verify.html", context)

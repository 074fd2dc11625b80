from django.utils.translation import gettext_lazy as _

from .core.roles import AUDITOR, DECISION_MAKER, OFFICIAL, READER, has_role, primary_role

ROLE_LABELS = {
    "superuser": _("Administrator"),
    DECISION_MAKER: _("Decision maker"),
    OFFICIAL: _("Official"),
    AUDITOR: _("Auditor"),
    READER: _("Reader"),
    None: _("No role"),
}


def roles(request):
    """The signed-in user's role, for the header and for showing only allowed actions."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "role_label": ROLE_LABELS[primary_role(user)],
        "is_official": has_role(user, OFFICIAL),
        "is_decision_maker": has_role(user, DECISION_MAKER),
    }

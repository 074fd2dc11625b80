"""Roles are Django groups; a user's role comes from group membership alone."""

OFFICIAL = "official"
DECISION_MAKER = "decision_maker"
READER = "reader"
AUDITOR = "auditor"
# Every role, as the groups a migration creates; every role reads the register.
ROLES = (OFFICIAL, DECISION_MAKER, READER, AUDITOR)
READ_ROLES = ROLES


def user_roles(user):
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_cache = cached
    return cached


def has_role(user, *roles):
    """Superusers hold every role."""
    if user and user.is_authenticated and user.is_superuser:
        return True
    return bool(user_roles(user) & set(roles))


def primary_role(user):
    if user.is_superuser:
        return "superuser"
    for role in (DECISION_MAKER, OFFICIAL, AUDITOR, READER):
        if role in user_roles(user):
            return role
    return None

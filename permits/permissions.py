"""Role permissions for the API, from the contract's table of rights.

Every role (and superusers) may read everything the API serves; each kind of
write belongs to one role. Users without any role may do nothing.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .core.roles import DECISION_MAKER, OFFICIAL, READ_ROLES, has_role



class _RolePermission(BasePermission):
    """Reads for every role; unsafe methods only for ``write_roles``."""

    write_roles = ()
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            # Falls through to DRF's NotAuthenticated (401 with WWW-Authenticate).
            return False
        if request.method in SAFE_METHODS:
            return has_role(user, *READ_ROLES)
        return has_role(user, *self.write_roles)


class ReadOnly(_RolePermission):
    """Every role may read; nobody may write."""


class OfficialWrites(_RolePermission):
    """Permits, evidence, assurances, flag resolution: written by officials."""

    write_roles = (OFFICIAL,)


class DecisionMakerWrites(_RolePermission):
    """Decisions (single and blanket): recorded by decision makers."""

    write_roles = (DECISION_MAKER,)

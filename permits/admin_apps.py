from django.contrib.admin.apps import AdminConfig


class PermitsAdminConfig(AdminConfig):
    """django.contrib.admin whose default site admits users by role.

    Every ``admin.site.register`` in any app lands on this site.
    """

    default_site = "permits.admin_site.PermitsAdminSite"

"""Auditors view the event and webhook rows in the admin (read-only).

Superusers need no grant; the secrets are never viewable.
"""

from django.db import migrations

VIEWED = ("event", "webhookendpoint", "delivery", "deliveryattempt")


def grant_auditor(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("permits")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    auditor, _ = Group.objects.get_or_create(name="auditor")
    auditor.permissions.add(*Permission.objects.filter(
        content_type__app_label="permits", codename__in=[f"view_{name}" for name in VIEWED]))


class Migration(migrations.Migration):
    dependencies = [("permits", "0011_events_and_webhooks"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(grant_auditor, migrations.RunPython.noop)]

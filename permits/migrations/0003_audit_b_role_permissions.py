"""Admin permissions of the roles that the admin site admits.

- auditor: view everything of the register, the audit trail, users and groups.
- decision_maker: view the register; maintain destination measures
  (the destination form must be savable for its measures inline; its own fields are
  read-only in the admin).
Model permissions are created here rather than waiting for post_migrate, so the
grant does not depend on a second ``migrate``. The reviews app grants its own
models in reviews/0003_audit_b_role_permissions.
"""

from django.db import migrations

AUDIT_APPS = ("permits", "auth", "pghistory")
REGISTER_APPS = ("permits",)
DECISION_MAKER_EXTRA = ("change_destination", "add_destinationmeasure", "change_destinationmeasure")


def _is_audit_model(model_name):
    return model_name.endswith("event") or model_name.startswith("audited")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    auditor, _ = Group.objects.get_or_create(name="auditor")
    decision_maker, _ = Group.objects.get_or_create(name="decision_maker")

    views = Permission.objects.filter(codename__startswith="view_").select_related("content_type")
    auditor.permissions.add(*[p for p in views if p.content_type.app_label in AUDIT_APPS])
    decision_maker.permissions.add(*[
        p for p in views
        if p.content_type.app_label in REGISTER_APPS and not _is_audit_model(p.content_type.model)
    ])
    decision_maker.permissions.add(*Permission.objects.filter(
        content_type__app_label="permits", codename__in=DECISION_MAKER_EXTRA
    ))


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0003_audit_trail"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

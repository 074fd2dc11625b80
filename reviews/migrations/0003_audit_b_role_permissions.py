"""View permissions on evidence, flags, reviews and their audit events.

auditor: everything here, audit events included; decision_maker: the work itself.
"""

from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("reviews")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    views = list(Permission.objects.filter(content_type__app_label="reviews", codename__startswith="view_")
                 .select_related("content_type"))
    auditor, _ = Group.objects.get_or_create(name="auditor")
    decision_maker, _ = Group.objects.get_or_create(name="decision_maker")
    auditor.permissions.add(*views)
    decision_maker.permissions.add(*[p for p in views if not p.content_type.model.endswith("event")])


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_audit_trail"),
        ("permits", "0003_audit_b_role_permissions"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

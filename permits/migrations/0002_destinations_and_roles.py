"""Every ISO 3166-1 country as a destination, and the four roles of the contract."""

from django.db import migrations


def load(apps, schema_editor):
    from permits.reference import ensure_reference_data

    ensure_reference_data(apps.get_model("permits", "Destination"), apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

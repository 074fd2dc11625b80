"""Indexes for a register of a million permits.

- pg_trgm GIN indexes on UPPER(column): Django's ``icontains`` compares
  ``UPPER(column::text) LIKE UPPER('%…%')``, which these serve, for the free-text
  search over number, exporter, consignee, end user and item description.
- List order (-starts_on, number), alone and per destination and status, so
  that a first page never sorts the whole register.
- varchar_pattern_ops on item control entries (with permit_id): the prefix
  LIKE of entry matching uses it whatever the database collation, index-only.
- no separate foreign-key index where a composite index leads with the column.
- fillfactor 90 on permits: the open-flag counter bumped for 100,000 permits at
  once stays a HOT update (no index touched) when the page has room; for the
  same reason no index (nor partial-index condition) mentions open_flags.
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


def _trigram(model_name, field, name):
    return migrations.AddIndex(
        model_name=model_name,
        index=django.contrib.postgres.indexes.GinIndex(
            django.contrib.postgres.indexes.OpClass(
                django.db.models.functions.text.Upper(field), name="gin_trgm_ops"
            ),
            name=name,
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("permits", "0003_audit_c_decision_events"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "ALTER TABLE permits_permit SET (fillfactor = 90)",
            "ALTER TABLE permits_permit RESET (fillfactor)",
        ),
        # The composite indexes below lead with these columns: the plain
        # foreign-key indexes would only slow every write down.
        migrations.AlterField(
            model_name="decision",
            name="permit",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="decisions", to="permits.permit"),
        ),
        migrations.AlterField(
            model_name="permit",
            name="destination",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="permits", to="permits.destination"),
        ),
        migrations.RemoveIndex(model_name="permit", name="permit_dest_status"),
        migrations.RemoveIndex(model_name="permititem", name="item_control_entry"),
        migrations.AddIndex(
            model_name="permit",
            index=models.Index(fields=["destination", "status", "-starts_on", "number"], name="permit_dest_status"),
        ),
        migrations.AddIndex(
            model_name="permit",
            index=models.Index(fields=["-starts_on", "number"], name="permit_list_order"),
        ),
        _trigram("permit", "number", "permit_number_trgm"),
        _trigram("permit", "exporter", "permit_exporter_trgm"),
        _trigram("permit", "consignee", "permit_consignee_trgm"),
        _trigram("permit", "end_user", "permit_end_user_trgm"),
        migrations.AddIndex(
            model_name="permititem",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(models.F("control_entry"), name="varchar_pattern_ops"),
                models.F("permit"),
                name="item_control_entry",
            ),
        ),
        _trigram("permititem", "description", "item_description_trgm"),
    ]

"""The second wall on the record: triggers of our own that refuse every UPDATE,
DELETE and TRUNCATE of decisions, ledger checkpoints and audit tables.

django-pgtrigger's Protect triggers step aside for ``SET LOCAL pgtrigger.ignore``;
these consult no setting, so only DDL (disabling the trigger, as the table's
owner) gets past them. TRUNCATE fires no row trigger: it gets a statement-level
one. Protected tables added later get the same triggers after every migrate
(permits.dbroles.ensure_append_only_triggers).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION append_only_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Deliberately no way around it: no setting, no role is consulted.
    RAISE EXCEPTION '% of %.% refused: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

# Tables that may not exist yet are skipped; ensure_append_only_triggers covers them later.
PROTECT = """
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[{tables}] LOOP
        IF to_regclass(t) IS NOT NULL THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER append_only_no_change BEFORE UPDATE OR DELETE ON %I '
                           'FOR EACH ROW EXECUTE FUNCTION append_only_refuse()', t);
            EXECUTE format('CREATE OR REPLACE TRIGGER append_only_no_truncate BEFORE TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse()', t);
        END IF;
    END LOOP;
END;
$$;
"""

UNPROTECT = """
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[{tables}] LOOP
        IF to_regclass(t) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS append_only_no_change ON %I', t);
            EXECUTE format('DROP TRIGGER IF EXISTS append_only_no_truncate ON %I', t);
        END IF;
    END LOOP;
END;
$$;
"""

TABLES = ", ".join(f"'{name}'" for name in (
    "permits_decision",
    "permits_ledgercheckpoint",
    "pghistory_context",
    "permits_decisionevent",
    "permits_destinationevent",
    "permits_destinationmeasureevent",
    "permits_enduseassuranceevent",
    "permits_permitevent",
    "permits_permititemevent",
    "permits_userevent",
    "permits_usergroupevent",
))


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0006_destination_order_index"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS append_only_refuse() CASCADE"),
        migrations.RunSQL(PROTECT.format(tables=TABLES), UNPROTECT.format(tables=TABLES)),
    ]

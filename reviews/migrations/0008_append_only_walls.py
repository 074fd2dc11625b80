"""The second wall on the review side's audit tables (see permits 0007_append_only_walls)."""

from django.db import migrations


PROTECT = """
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[{tables}] LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER append_only_no_change BEFORE UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION append_only_refuse()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER append_only_no_truncate BEFORE TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse()', t);
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
        EXECUTE format('DROP TRIGGER IF EXISTS append_only_no_change ON %I', t);
        EXECUTE format('DROP TRIGGER IF EXISTS append_only_no_truncate ON %I', t);
    END LOOP;
END;
$$;
"""

TABLES = ", ".join(f"'{name}'" for name in (
    "reviews_diversionevidenceevent",
    "reviews_findingevent",
    "reviews_findingevidenceevent",
    "reviews_flagevent",
    "reviews_reviewcaseevent",
    "reviews_reviewcaseevidenceevent",
    "reviews_reviewcaseflagevent",
    "reviews_reviewcasepermitevent",
))


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0007_append_only_walls"),
        ("reviews", "0007_flag_indexes"),
    ]

    operations = [
        migrations.RunSQL(PROTECT.format(tables=TABLES), UNPROTECT.format(tables=TABLES)),
    ]

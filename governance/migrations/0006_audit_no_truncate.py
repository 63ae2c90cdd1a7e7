"""On PostgreSQL, refuse TRUNCATE on the audit table too. The row trigger of 0002 never
fires for TRUNCATE, which empties the table in one statement, and an empty chain would
verify as intact; this statement trigger closes that gap.

One exception: `manage.py flush` (governance overrides it) marks its own session, because
erasing the whole database, audit trail included, is what it is for; Django's test
runner flushes this way between transactional tests.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION governance_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('ninety.flushing_database', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: TRUNCATE refused on governance_auditevent'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER governance_audit_no_truncate
    BEFORE TRUNCATE ON governance_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION governance_audit_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS governance_audit_no_truncate ON governance_auditevent;
DROP FUNCTION IF EXISTS governance_audit_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_signoff_frozen_packet")]
    operations = [migrations.RunPython(forwards, backwards)]

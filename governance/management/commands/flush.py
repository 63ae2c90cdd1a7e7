"""Django's `flush`, allowed to empty the audit table.

The database refuses TRUNCATE on the audit table (migration 0006) unless the session says
it is flushing the whole database. Erasing everything is what this command is for, and
Django's test runner uses it between transactional tests, so it says so.
"""

from django.core.management.commands import flush
from django.db import connections

FLAG = "ninety.flushing_database"


class Command(flush.Command):
    def handle(self, **options) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute(f"SET {FLAG} = 'on'")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {FLAG}")

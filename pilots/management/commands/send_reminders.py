from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pilots import reminders


class Command(BaseCommand):
    help = (
        "Run the reminder scan by hand: claim what is due and send it (in the embedded "
        "default, at once). --dry-run only lists what would be sent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="scan as on this day (YYYY-MM-DD), at 09:00 local")
        parser.add_argument("--dry-run", action="store_true", help="list, claim and send nothing")

    def handle(self, *args, date=None, dry_run=False, **options) -> None:
        now = timezone.now()
        if date:
            try:
                day = datetime.strptime(date, "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from exc
            now = timezone.make_aware(datetime.combine(day, time(9, 0)))
        if dry_run:
            pending = reminders.pending_preview(now)
            for due in pending:
                self.stdout.write(
                    f"{due.kind:<12} to user {due.recipient_id:<6} about "
                    f"{due.subject_type} {due.subject_id} (level {due.level}, "
                    f"{due.day})"
                )
            self.stdout.write(f"Dry run: {len(pending)} reminder(s) would be sent; nothing sent.")
            return
        result = reminders.scan(now)
        self.stdout.write(
            f"{result.due} due, {result.claimed} newly claimed and queued, "
            f"{result.requeued} queued again."
        )

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pilots import reminders


class Command(BaseCommand):
    help = (
        "Run the reminder scan by hand: claim what is due and send it (in the embedded "
        "default, at once). --dry-run only lists what would be sent; with --date it "
        "lists what a scan on that day would send."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            help="today, or with --dry-run another day (YYYY-MM-DD), scanned as at 09:00 local",
        )
        parser.add_argument("--dry-run", action="store_true", help="list, claim and send nothing")

    def handle(self, *args, date=None, dry_run=False, **options) -> None:
        now = timezone.now()
        if date:
            try:
                day = datetime.strptime(date, "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from exc
            # A real scan claims the day's reminders, but a send composes them from the
            # data as it is now: claimed for another day, they would say the wrong thing
            # and never be sent on their own day.
            if day != timezone.localdate(now):
                if not dry_run:
                    raise CommandError(
                        f"--date {day.isoformat()} is not today: add --dry-run to see what "
                        "a scan on that day would send. Sending is only for today."
                    )
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

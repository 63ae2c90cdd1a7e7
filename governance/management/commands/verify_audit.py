from django.core.management.base import BaseCommand, CommandError

from governance.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit chain from the first event and name the first broken one."

    def handle(self, *args, **options) -> None:
        checked, broken = verify_chain()
        if broken:
            raise CommandError(
                f"Audit chain broken at event #{broken.seq}: {broken.problem} "
                f"({checked} events before it verified)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))

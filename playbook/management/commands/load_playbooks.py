from django.core.management.base import BaseCommand, CommandError

from playbook.loading import PlaybookFileError, load_all_playbooks


class Command(BaseCommand):
    help = "Load the playbooks shipped in playbook/data. Versions already loaded are left alone."

    def handle(self, *args, **options) -> None:
        try:
            results = load_all_playbooks()
        except PlaybookFileError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] == 0:
            return
        for result in results:
            state = "loaded" if result.created else "already present"
            self.stdout.write(f"{result.playbook}: {state}")

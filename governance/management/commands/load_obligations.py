"""Load the EU AI Act obligations shipped in governance/data/obligations.yaml.

Only into an empty table: once loaded, the admin is where dates and texts are kept
current (amendments move them), and running this again must not undo those edits.
"""

from datetime import date
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from governance.models import AiActClass, Obligation, ObligationTrigger

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "obligations.yaml"
REQUIRED = ("applies_to", "reference", "title", "summary", "applies_from")


def read_obligations(path: Path = DATA_FILE) -> list[Obligation]:
    """Parse and check the file; unsaved rows, or CommandError naming the bad entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("obligations") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CommandError(f"{path.name}: expected a non-empty list under `obligations`.")
    rows = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name}, obligation {number}"
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            raise CommandError(f"{where}: missing {', '.join(missing)}.")
        risk_class = entry.get("risk_class") or ""
        trigger = entry.get("trigger") or ""
        if risk_class and risk_class not in AiActClass.values:
            raise CommandError(f"{where}: unknown risk_class {risk_class!r}.")
        if trigger and trigger not in ObligationTrigger.values:
            raise CommandError(f"{where}: unknown trigger {trigger!r}.")
        if entry["applies_to"] not in Obligation.Applies.values:
            raise CommandError(f"{where}: unknown applies_to {entry['applies_to']!r}.")
        if not isinstance(entry["applies_from"], date):
            raise CommandError(f"{where}: applies_from must be a date (YYYY-MM-DD).")
        rows.append(
            Obligation(
                risk_class=risk_class,
                general_purpose=bool(entry.get("general_purpose", False)),
                trigger=trigger,
                applies_to=entry["applies_to"],
                reference=str(entry["reference"]),
                title=str(entry["title"]),
                summary=str(entry["summary"]).strip(),
                applies_from=entry["applies_from"],
                order=int(entry.get("order", 0)),
            )
        )
    return rows


class Command(BaseCommand):
    help = "Load the AI Act obligations into an empty table; existing rows are left alone."

    def handle(self, *args, **options) -> None:
        rows = read_obligations()
        count = Obligation.objects.count()
        if count:
            message = f"Obligations: {count} already present, left alone"
        else:
            with transaction.atomic():
                Obligation.objects.bulk_create(rows)
            message = f"Obligations: {len(rows)} loaded"
        if options["verbosity"] >= 1:
            self.stdout.write(message)

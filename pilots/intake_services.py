"""Writers of the intake answers and of the 12-month cost lines.

The intake form holds fields of the pilot (production owner, success metric) and of its
Intake row; one save writes both under the pilot's version, so an answer typed over a
page that someone else changed meanwhile is refused, not silently lost.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from pilots.intake_models import Intake
from pilots.models import Pilot
from pilots.services import ChangeRefused, StalePilotEdit, _jsonable
from pilots.signals import announce
from pilots.value_models import CostLine

PILOT_FIELDS = (
    "production_owner",
    "success_metric",
    "success_unit",
    "success_baseline",
    "success_target",
    "success_target_date",
)


@dataclass(frozen=True)
class IntakeAnswers:
    production_owner: object | None  # a user
    success_metric: str
    success_unit: str
    success_baseline: Decimal | None
    success_target: Decimal | None
    success_target_date: date | None
    governance_engaged_on: date | None
    governance_engaged_with: str
    governance_early_read: str
    expected_yearly_benefit: Decimal | None
    workforce_plan: str
    expected_scale: str
    integrations: str
    acceptable_error_rate: str
    known_shortcuts: str


def _audit_value(value):
    return str(value) if isinstance(value, Decimal) else _jsonable(value)


def intake_update(
    *, pilot: Pilot, expected_version: int, answers: IntakeAnswers, actor=None
) -> Pilot:
    """Write the intake answers if nobody changed the pilot since `expected_version`
    (StalePilotEdit otherwise). Only what changed is written and recorded; any change
    moves the pilot's version on. Returns the fresh pilot."""
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        if locked.version != expected_version:
            raise StalePilotEdit(locked)
        row = Intake.objects.filter(pilot=locked).first() or Intake(pilot=locked)
        before, after = {}, {}
        changed_pilot, changed_intake = [], []
        for item in fields(answers):
            name, value = item.name, getattr(answers, item.name)
            target = locked if name in PILOT_FIELDS else row
            current = getattr(target, target._meta.get_field(name).attname)
            # Compared as values: 14 and 14.00 are the same baseline.
            if current == (value.pk if hasattr(value, "pk") else value):
                continue
            before[name], after[name] = _audit_value(current), _audit_value(value)
            setattr(target, name, value)
            (changed_pilot if target is locked else changed_intake).append(name)
        if not after:
            return locked
        if changed_intake or row.pk is None:
            row.save()
        locked.version += 1
        locked.save(update_fields=[*changed_pilot, "version", "updated_at"])
        announce(
            actor=actor,
            verb="intake.updated",
            target=locked,
            pilot=locked,
            before=before,
            after=after,
        )
    return locked


def cost_line_add(
    *,
    pilot: Pilot,
    category: str,
    description: str,
    annual_cost: Decimal | None = None,
    fte: Decimal | None = None,
    fte_annual_rate: Decimal | None = None,
    actor=None,
) -> CostLine:
    """Add a line of the 12-month running cost: an amount, or FTE × a yearly rate."""
    by_fte = fte is not None and fte_annual_rate is not None
    if not by_fte and annual_cost is None:
        raise ChangeRefused(
            _("Give the yearly amount, or the FTEs and the yearly rate of one FTE.")
        )
    if any(v is not None and v < 0 for v in (annual_cost, fte, fte_annual_rate)):
        raise ChangeRefused(_("Costs and FTEs cannot be negative."))
    line = CostLine(pilot=pilot, category=category, description=description)
    if by_fte:
        line.fte, line.fte_annual_rate = fte, fte_annual_rate
    else:
        line.annual_cost = annual_cost
    with transaction.atomic():
        line.save()  # computes FTE × rate
        announce(
            actor=actor,
            verb="intake.cost_added",
            target=line,
            pilot=pilot,
            after={
                "category": category,
                "description": description,
                "annual_cost": str(line.annual_cost),
                **({"fte": str(fte), "fte_annual_rate": str(fte_annual_rate)} if by_fte else {}),
            },
        )
    return line


def cost_line_remove(*, pilot: Pilot, line_pk: int, actor=None) -> None:
    with transaction.atomic():
        line = CostLine.objects.select_for_update().filter(pilot=pilot, pk=line_pk).first()
        if line is None:
            raise ChangeRefused(_("That cost line was already removed."))
        facts = {
            "category": line.category,
            "description": line.description,
            "annual_cost": str(line.annual_cost),
        }
        announce(actor=actor, verb="intake.cost_removed", target=line, pilot=pilot, before=facts)
        line.delete()

"""The risk register: levels, who may accept what, and the services that write risks and
their acceptances (the only writers of Risk and RiskAcceptance).

Levels come from the residual score (residual likelihood × residual impact, 1-25), with
the thresholds defined here once and explained on the page:

    low     1-7    no acceptance needed
    medium  8-14   accepted by a governance reviewer or by leadership
    high    15-25  accepted by leadership

An acceptance records the risk as it stood. Any later change to what was accepted (title,
category, likelihood, impact, residual scores, mitigation, status) reopens every open
acceptance of the risk, with a reason naming what changed. An acceptance is in force
while it is not reopened and its expiry date has not come (it lapses on `expires_on`).
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance import audit
from governance.access import is_governance_reviewer, is_leadership
from governance.models import AcceptanceAuthority, Risk, RiskAcceptance
from pilots.models import PhaseRun, Pilot
from pilots.plan import PhaseBlock, current_phase
from pilots.services import ChangeRefused

MEDIUM_FROM = 8
HIGH_FROM = 15

LIKELIHOOD_SCALE = [
    (1, gettext_lazy("1 · Rare")),
    (2, gettext_lazy("2 · Unlikely")),
    (3, gettext_lazy("3 · Possible")),
    (4, gettext_lazy("4 · Likely")),
    (5, gettext_lazy("5 · Almost certain")),
]
IMPACT_SCALE = [
    (1, gettext_lazy("1 · Negligible")),
    (2, gettext_lazy("2 · Minor")),
    (3, gettext_lazy("3 · Moderate")),
    (4, gettext_lazy("4 · Major")),
    (5, gettext_lazy("5 · Severe")),
]


class Level(models.TextChoices):
    LOW = "low", gettext_lazy("Low")
    MEDIUM = "medium", gettext_lazy("Medium")
    HIGH = "high", gettext_lazy("High")


def level_of(score: int) -> Level:
    if score >= HIGH_FROM:
        return Level.HIGH
    if score >= MEDIUM_FROM:
        return Level.MEDIUM
    return Level.LOW


# Who may accept a residual risk of each level, strongest authority last.
AUTHORITIES_FOR = {
    Level.LOW: (),
    Level.MEDIUM: (AcceptanceAuthority.GOVERNANCE_REVIEWER, AcceptanceAuthority.LEADERSHIP),
    Level.HIGH: (AcceptanceAuthority.LEADERSHIP,),
}


def authority_of(user, level: str) -> AcceptanceAuthority | None:
    """The authority under which `user` may accept a residual risk of `level`, or None."""
    held = {
        AcceptanceAuthority.GOVERNANCE_REVIEWER: is_governance_reviewer(user),
        AcceptanceAuthority.LEADERSHIP: is_leadership(user),
    }
    for authority in AUTHORITIES_FOR[Level(level)]:
        if held[authority]:
            return authority
    return None


def authority_needed_text(level: str) -> str:
    """Who may accept a residual risk of `level`: "Governance reviewer or Leadership"."""
    names = [str(a.label) for a in AUTHORITIES_FOR[Level(level)]]
    if not names:
        return _("nobody")
    text = names[0]
    for name in names[1:]:
        # Translators: two roles, either of which may accept a risk.
        text = _("%(first)s or %(second)s") % {"first": text, "second": name}
    return text


def authority_refusal_text(level: str) -> str:
    """Why someone without the authority may not accept a residual risk of `level`. One
    whole sentence per level (for translators), following AUTHORITIES_FOR: keep in step."""
    if Level(level) == Level.HIGH:
        return _("A high residual risk must be accepted by leadership.")
    if Level(level) == Level.MEDIUM:
        return _("A medium residual risk must be accepted by governance reviewer or leadership.")
    return _("A low residual risk must be accepted by nobody.")


def is_in_force(acceptance: RiskAcceptance, today: date) -> bool:
    """Covers the risk today: not reopened by a change, and not yet expired."""
    return acceptance.reopened_at is None and acceptance.expires_on > today


def acceptance_state(acceptance: RiskAcceptance, today: date) -> str:
    if acceptance.reopened_at is not None:
        return "reopened"
    if acceptance.expires_on <= today:
        return "expired"
    return "in_force"


def needs_acceptance(risk: Risk) -> bool:
    return risk.status != Risk.Status.CLOSED and level_of(risk.residual_score) != Level.LOW


# --- Services -------------------------------------------------------------------------


class StaleRisk(ChangeRefused):
    """Somebody else changed the risk since the user loaded it; nothing was written."""

    def __init__(self, current: Risk):
        super().__init__(
            _(
                "Someone else changed this risk while you were editing it. Nothing was saved; "
                "the current version is shown."
            )
        )
        self.current = current


class NotEnoughAuthority(PermissionDenied):
    """The user may not accept a residual risk of this level (403)."""


# Changing any of these changes what an acceptance covered, so it reopens them.
MATERIAL_FIELDS = (
    "title",
    "category",
    "likelihood",
    "impact",
    "residual_likelihood",
    "residual_impact",
    "mitigation",
    "status",
)
EDITABLE_FIELDS = (*MATERIAL_FIELDS, "description", "owner")
_SHOWN_AS_EDITED = {"title", "mitigation"}


def risk_facts(risk: Risk) -> dict:
    """The risk as an audit event or an acceptance records it."""
    owner = risk.owner
    return {
        "title": risk.title,
        "category": risk.category,
        "description": risk.description,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "score": risk.score,
        "mitigation": risk.mitigation,
        "residual_likelihood": risk.residual_likelihood,
        "residual_impact": risk.residual_impact,
        "residual_score": risk.residual_score,
        "level": level_of(risk.residual_score).value,
        "status": risk.status,
        "owner": risk.owner_id,
        "owner_name": (owner.get_full_name() or owner.get_username()) if owner else "",
        "version": risk.version,
    }


def risk_create(
    *,
    pilot: Pilot,
    actor,
    title: str,
    category: str,
    likelihood: int,
    impact: int,
    residual_likelihood: int,
    residual_impact: int,
    description: str = "",
    mitigation: str = "",
    owner=None,
    status: str = Risk.Status.OPEN,
) -> Risk:
    with transaction.atomic():
        risk = Risk.objects.create(
            pilot=pilot,
            title=title,
            category=category,
            description=description,
            likelihood=likelihood,
            impact=impact,
            mitigation=mitigation,
            owner=owner,
            status=status,
            residual_likelihood=residual_likelihood,
            residual_impact=residual_impact,
            created_by=actor,
        )
        audit.append(
            actor=actor, verb="risk.created", target=risk, pilot=pilot, after=risk_facts(risk)
        )
    return risk


def _stored(risk: Risk, name: str):
    return risk.owner_id if name == "owner" else getattr(risk, name)


def _new(value):
    return value.pk if isinstance(value, models.Model) else value


def _reopen_reason(changed: dict[str, tuple]) -> str:
    parts = []
    for name in MATERIAL_FIELDS:
        if name not in changed:
            continue
        label = Risk._meta.get_field(name).verbose_name
        old, new = changed[name]
        parts.append(f"{label} edited" if name in _SHOWN_AS_EDITED else f"{label} {old} → {new}")
    reason = "The risk changed after it was accepted: " + "; ".join(parts) + "."
    return reason if len(reason) <= 300 else reason[:299] + "…"


def risk_update(*, risk: Risk, actor, expected_version: int, **changes) -> Risk:
    """Change a risk unless someone else changed it first (StaleRisk, nothing written).

    A change to a material field reopens every open acceptance of the risk.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = (
            Risk.objects.select_for_update(of=("self",))
            .select_related("owner", "pilot")
            .get(pk=risk.pk)
        )
        if current.version != expected_version:
            raise StaleRisk(current)
        changed = {
            name: (_stored(current, name), _new(value))
            for name, value in changes.items()
            if _stored(current, name) != _new(value)
        }
        if not changed:
            return current
        for name in changed:
            setattr(current, name, changes[name])
        current.version += 1
        current.save(update_fields=[*changed, "version", "updated_at"])
        closing = "status" in changed and current.status == Risk.Status.CLOSED
        audit.append(
            actor=actor,
            verb="risk.closed" if closing else "risk.changed",
            target=current,
            pilot=current.pilot,
            before={name: old for name, (old, _new_value) in changed.items()},
            after={name: new for name, (_old, new) in changed.items()},
        )
        material = {name: pair for name, pair in changed.items() if name in MATERIAL_FIELDS}
        if material:
            _reopen_acceptances(current, actor, _reopen_reason(material))
    return current


def _reopen_acceptances(risk: Risk, actor, reason: str) -> None:
    now = timezone.now()
    for acceptance in RiskAcceptance.objects.filter(risk=risk, reopened_at__isnull=True):
        RiskAcceptance.objects.filter(pk=acceptance.pk).update(
            reopened_at=now, reopen_reason=reason
        )
        audit.append(
            actor=actor,
            verb="risk.acceptance_reopened",
            target=acceptance,
            pilot=risk.pilot,
            before={"reopened_at": None},
            after={"reopened_at": now, "reopen_reason": reason},
        )


def current_phase_run(pilot: Pilot, today: date) -> PhaseRun | None:
    """The phase the pilot is in by the calendar (pilots.plan.current_phase)."""
    runs = list(pilot.phase_runs.order_by("number"))
    block = current_phase([PhaseBlock(run=run) for run in runs], today)
    return block.run if block else None


def risk_accept(
    *,
    risk: Risk,
    actor,
    justification: str,
    expires_on: date,
    expected_version: int | None = None,
    phase_run: PhaseRun | None = None,
    today: date | None = None,
) -> RiskAcceptance:
    """Accept a risk's residual level, as it stands, for the gate of `phase_run` (by
    default the phase the pilot is in). Refused without the authority the level needs
    (NotEnoughAuthority, a 403), for a low or closed risk, without a justification, with an
    expiry not in the future, or when the risk changed since the user saw it (StaleRisk).
    """
    today = today or timezone.localdate()
    justification = (justification or "").strip()
    if not justification:
        raise ChangeRefused(_("Say why this residual risk is acceptable."))
    if expires_on <= today:
        raise ChangeRefused(_("The expiry date must be in the future."))
    with transaction.atomic():
        current = (
            Risk.objects.select_for_update(of=("self",))
            .select_related("owner", "pilot")
            .get(pk=risk.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise StaleRisk(current)
        if current.status == Risk.Status.CLOSED:
            raise ChangeRefused(_("This risk is closed; a closed risk needs no acceptance."))
        level = level_of(current.residual_score)
        if level == Level.LOW:
            raise ChangeRefused(_("A low residual risk needs no acceptance."))
        authority = authority_of(actor, level)
        if authority is None:
            raise NotEnoughAuthority(authority_refusal_text(level))
        if phase_run is None:
            phase_run = current_phase_run(current.pilot, today)
        elif phase_run.pilot_id != current.pilot_id:
            raise ChangeRefused(_("That phase belongs to another pilot."))
        acceptance = RiskAcceptance.objects.create(
            risk=current,
            phase_run=phase_run,
            accepted_by=actor,
            authority=authority,
            justification=justification,
            expires_on=expires_on,
            risk_snapshot=risk_facts(current),
        )
        audit.append(
            actor=actor,
            verb="risk.accepted",
            target=acceptance,
            pilot=current.pilot,
            after={
                "risk": current.pk,
                "authority": authority.value,
                "level": level.value,
                "expires_on": expires_on,
                "phase_run": phase_run.pk if phase_run else None,
                "justification": justification,
            },
        )
    return acceptance


# --- Reading the register ---------------------------------------------------------------


def register_queryset(pilot: Pilot) -> models.QuerySet[Risk]:
    """The register page's read: risks with owners and acceptances, in three queries
    whatever their number."""
    acceptances = RiskAcceptance.objects.select_related("accepted_by", "phase_run").order_by(
        "-accepted_at", "-pk"
    )
    return (
        Risk.objects.filter(pilot=pilot)
        .select_related("owner")
        .prefetch_related(models.Prefetch("acceptances", queryset=acceptances))
        .order_by("-created_at", "-pk")
    )


@dataclass
class RegisterRow:
    risk: Risk
    level: Level
    inherent_level: Level
    latest: RiskAcceptance | None
    state: str  # in_force | expired | reopened | needed | not_needed | closed
    authority_text: str


def register_rows(risks, today: date) -> list[RegisterRow]:
    """The register as shown: open risks first, the largest residual score on top."""
    rows = []
    for risk in risks:
        level = level_of(risk.residual_score)
        acceptances = list(risk.acceptances.all())
        latest = next((a for a in acceptances if is_in_force(a, today)), None) or (
            acceptances[0] if acceptances else None
        )
        if risk.status == Risk.Status.CLOSED:
            state = "closed"
        elif latest and is_in_force(latest, today):
            state = "in_force"
        elif not needs_acceptance(risk):
            state = "not_needed"
        elif latest:
            state = acceptance_state(latest, today)
        else:
            state = "needed"
        rows.append(
            RegisterRow(
                risk=risk,
                level=level,
                inherent_level=level_of(risk.score),
                latest=latest,
                state=state,
                authority_text=authority_needed_text(level),
            )
        )
    rows.sort(key=lambda r: (r.state == "closed", -r.risk.residual_score, -r.risk.score))
    return rows


@dataclass
class HeatCell:
    likelihood: int
    impact: int
    score: int
    level: Level
    titles: list[str]

    @property
    def count(self) -> int:
        return len(self.titles)


def heat_map(risks, *, residual: bool) -> list[list[HeatCell]]:
    """A 5×5 grid of open risks: rows by impact (5 at the top), columns by likelihood."""
    grid = {
        (lk, im): HeatCell(lk, im, lk * im, level_of(lk * im), [])
        for lk in range(1, 6)
        for im in range(1, 6)
    }
    for risk in risks:
        if risk.status == Risk.Status.CLOSED:
            continue
        if residual:
            key = (risk.residual_likelihood, risk.residual_impact)
        else:
            key = (risk.likelihood, risk.impact)
        grid[key].titles.append(risk.title)
    return [[grid[(lk, im)] for lk in range(1, 6)] for im in range(5, 0, -1)]

"""Versions of a playbook: clone into a draft, edit its header, publish, discard, retire,
make default, import."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _

from playbook.loading import build_version, playbook_as_data, read_document
from playbook.models import (
    Playbook,
)
from playbook.schema import Problem, check_playbook
from playbook.services.common import (
    PLAYBOOK_FIELDS,
    ChangeRefused,
    DraftExists,
    PublishRefused,
    changes,
    lock_draft,
    snapshot,
)
from playbook.signals import announce


def _next_version(slug: str) -> int:
    return (Playbook.objects.filter(slug=slug).aggregate(top=Max("version"))["top"] or 0) + 1


def _existing_draft(slug: str) -> Playbook | None:
    return Playbook.objects.filter(slug=slug, status=Playbook.Status.DRAFT).first()


def playbook_clone(*, source: Playbook, actor) -> Playbook:
    """A new draft version of `source`'s playbook with the same content, items keeping their
    keys so the diff can follow them."""
    if source.is_draft:
        raise ChangeRefused(_("A draft is edited directly; publish it before starting another."))
    draft = _existing_draft(source.slug)
    if draft:
        raise DraftExists(draft)
    data = playbook_as_data(Playbook.objects.for_editor().get(pk=source.pk))
    try:
        with transaction.atomic():
            playbook = build_version(
                data,
                slug=source.slug,
                version=_next_version(source.slug),
                status=Playbook.Status.DRAFT,
                based_on=source,
            )
            announce(
                actor=actor,
                verb="playbook.cloned",
                target=playbook,
                playbook=playbook,
                after={"based_on_version": source.version, "version": playbook.version},
            )
    except IntegrityError as exc:
        # Someone started a draft of the same playbook at the same moment.
        draft = _existing_draft(source.slug)
        if draft:
            raise DraftExists(draft) from exc
        raise
    return playbook


@transaction.atomic
def playbook_update(
    *,
    playbook: Playbook,
    actor,
    name: str,
    description: str,
    length_days: int,
    escalation_days: int,
) -> Playbook:
    locked = lock_draft(playbook.pk)
    if not 1 <= length_days <= 366:
        raise ChangeRefused(_("A playbook lasts between 1 and 366 days."))
    before = snapshot(locked, PLAYBOOK_FIELDS)
    locked.name, locked.description = name, description
    locked.length_days, locked.escalation_days = length_days, escalation_days
    locked.save(update_fields=list(PLAYBOOK_FIELDS))
    old, new = changes(before, snapshot(locked, PLAYBOOK_FIELDS))
    announce(
        actor=actor, verb="playbook.changed", target=locked, playbook=locked, before=old, after=new
    )
    return locked


def draft_problems(playbook: Playbook) -> list[Problem]:
    """What stands between a draft and publishing: the rules an imported file must meet.
    `playbook` should come from `Playbook.objects.for_editor()`."""
    return check_playbook(playbook_as_data(playbook))


@transaction.atomic
def playbook_publish(*, playbook: Playbook, actor, make_default: bool) -> Playbook:
    """Publish a draft as its version; from now on it never changes. Pilots running on older
    versions keep them; new pilots may choose this one (the default, if `make_default`)."""
    locked = lock_draft(playbook.pk)
    problems = draft_problems(Playbook.objects.for_editor().get(pk=locked.pk))
    if problems:
        raise PublishRefused(problems)
    if make_default:
        Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
        locked.is_default = True
    locked.status = Playbook.Status.PUBLISHED
    locked.save(update_fields=["status", "is_default"])
    announce(
        actor=actor,
        verb="playbook.published",
        target=locked,
        playbook=locked,
        before={"status": Playbook.Status.DRAFT},
        after={"status": locked.status, "is_default": locked.is_default},
    )
    return locked


@transaction.atomic
def playbook_discard(*, playbook: Playbook, actor) -> None:
    locked = lock_draft(playbook.pk)
    announce(
        actor=actor,
        verb="playbook.discarded",
        target=locked,
        playbook=locked,
        before={"version": locked.version, "status": locked.status},
    )
    try:
        with transaction.atomic():
            Playbook.objects.filter(pk=locked.pk).delete()
    except ProtectedError as exc:
        raise ChangeRefused(_("Pilots use this draft, so it cannot be discarded.")) from exc


@transaction.atomic
def playbook_retire(*, playbook: Playbook, actor) -> Playbook:
    """Take a published version off the list new pilots choose from; pilots on it go on."""
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if locked.status != Playbook.Status.PUBLISHED:
        raise ChangeRefused(_("Only a published version can be retired."))
    if locked.is_default:
        raise ChangeRefused(
            _(
                "This is the default playbook for new pilots. Make another version the default "
                "before retiring this one."
            )
        )
    locked.status = Playbook.Status.RETIRED
    locked.save(update_fields=["status"])
    announce(
        actor=actor,
        verb="playbook.retired",
        target=locked,
        playbook=locked,
        before={"status": Playbook.Status.PUBLISHED},
        after={"status": locked.status},
    )
    return locked


@transaction.atomic
def playbook_make_default(*, playbook: Playbook, actor) -> Playbook:
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if locked.status != Playbook.Status.PUBLISHED:
        raise ChangeRefused(_("Only a published version can be the default for new pilots."))
    previous = Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).first()
    Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
    locked.is_default = True
    locked.save(update_fields=["is_default"])
    announce(
        actor=actor,
        verb="playbook.made_default",
        target=locked,
        playbook=locked,
        before={"default": str(previous) if previous else None},
        after={"default": str(locked)},
    )
    return locked


def playbook_import(*, text: str, fmt: str, actor) -> Playbook:
    """A checked file as a new draft, all or nothing (PlaybookFileError lists the problems).

    A file whose slug is new starts a playbook at version 1. Otherwise the draft takes the
    next version and is based on the version the file names (as an export does), or on
    the latest one, so its diff shows what the file changes.
    """
    data = read_document(text, fmt)
    slug = data["slug"]
    draft = _existing_draft(slug)
    if draft:
        raise DraftExists(draft)
    others = Playbook.objects.filter(slug=slug).exclude(status=Playbook.Status.DRAFT)
    based_on = (
        others.filter(version=data.get("version")).first() or others.order_by("-version").first()
    )
    try:
        with transaction.atomic():
            playbook = build_version(
                data,
                slug=slug,
                version=_next_version(slug),
                status=Playbook.Status.DRAFT,
                based_on=based_on,
            )
            announce(
                actor=actor,
                verb="playbook.imported",
                target=playbook,
                playbook=playbook,
                after={
                    "version": playbook.version,
                    "based_on_version": based_on.version if based_on else None,
                },
            )
    except IntegrityError as exc:
        raise ChangeRefused(
            _("Someone changed this playbook at the same moment. Nothing was imported; try again.")
        ) from exc
    return playbook

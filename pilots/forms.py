from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from pilots import uploads
from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.roles import Role
from pilots.templatetags.ninety import ldate
from playbook.models import Dimension, Playbook

User = get_user_model()

# Dates far from today are typing mistakes (a year of 9999, 0202 for 2026), and a plan
# dated from them would run off the end of the calendar. These bounds keep every date
# the plan computes well inside it.
KICKOFF_WINDOW_YEARS = 10
PLAN_WINDOW_YEARS = 3
PROBLEM_MAX_LENGTH = 5000


def years_from(day: date, years: int) -> date:
    """The same calendar day `years` later (earlier when negative); 29 February becomes
    the 28th in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plan_date_error(value: date, kickoff: date) -> str | None:
    """Why a deliverable date is too far from the pilot's kickoff, or None if it is not."""
    earliest = years_from(kickoff, -PLAN_WINDOW_YEARS)
    latest = years_from(kickoff, PLAN_WINDOW_YEARS)
    if earliest <= value <= latest:
        return None
    return gettext("Choose a date within %(years)s years of the pilot's kickoff (%(kickoff)s).") % {
        "years": PLAN_WINDOW_YEARS,
        "kickoff": ldate(kickoff, "date"),
    }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    """Any active user; shown by full name so people recognise each other."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "queryset",
            User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"),
        )
        super().__init__(**kwargs)

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


def programme_managers():
    """Who may manage a pilot: active members of the Programme manager group, and
    administrators. Anyone else named here would become an editor of the pilot."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=[Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR]) | Q(is_superuser=True)
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class PilotForm(forms.ModelForm):
    problem = forms.CharField(
        max_length=PROBLEM_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Problem"),
        help_text=_("The business problem, in the words of the business."),
        error_messages={
            "max_length": _(
                "Describe the problem in at most 5,000 characters "
                "(this text has %(show_value)d); link to a longer write-up if there is one."
            )
        },
    )
    sponsor = PersonChoiceField(required=False, label=_("Sponsor"))
    production_owner = PersonChoiceField(
        required=False,
        label=_("Production owner"),
        help_text=_("Whose team will run it once live. Not the sponsor."),
    )
    programme_manager = PersonChoiceField(
        queryset=programme_managers(),
        label=_("Programme manager"),
        help_text=_("A member of the programme office; they can edit the pilot."),
    )
    playbook = forms.ModelChoiceField(queryset=Playbook.objects.published(), label=_("Playbook"))
    # The version the editor saw (edits only), so a concurrent change is not overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Pilot
        fields = [
            "name",
            "business_unit",
            "problem",
            "sponsor",
            "production_owner",
            "programme_manager",
            "kickoff_date",
            "playbook",
        ]
        widgets = {"kickoff_date": DateInput()}
        labels = {
            "name": _("Name"),
            "business_unit": _("Business unit"),
            "kickoff_date": _("Kickoff date"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]
        if not self.initial.get("playbook") and not self.instance.pk:
            self.initial["playbook"] = Playbook.default()
        if self.instance.pk and self.instance.is_launched:
            self.fields["playbook"].disabled = True
            self.fields["playbook"].help_text = gettext("Fixed once the pilot is launched.")
            self.fields["kickoff_date"].help_text = gettext(
                "Moving day 1 re-plans every open date; finished work keeps its dates."
            )

    def clean_kickoff_date(self) -> date:
        kickoff = self.cleaned_data["kickoff_date"]
        if self.instance.pk and kickoff == self.instance.kickoff_date:
            return kickoff  # unchanged: an old pilot keeps its old date
        today = timezone.localdate()
        earliest = years_from(today, -KICKOFF_WINDOW_YEARS)
        latest = years_from(today, KICKOFF_WINDOW_YEARS)
        if not earliest <= kickoff <= latest:
            raise forms.ValidationError(
                gettext(
                    "Choose a kickoff date within %(years)s years of today, "
                    "between %(earliest)s and %(latest)s."
                )
                % {
                    "years": KICKOFF_WINDOW_YEARS,
                    "earliest": ldate(earliest, "date"),
                    "latest": ldate(latest, "date"),
                }
            )
        return kickoff

    def clean(self):
        cleaned = super().clean()
        if self.has_error("version"):
            # The field is hidden, so say what to do in words the user can act on.
            self.add_error(
                None, gettext("This page is out of date. Reload it and make your change again.")
            )
        return cleaned


class VersionedForm(forms.Form):
    """Carries the version the user saw, so a concurrent change is detected, not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TickForm(VersionedForm):
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note")
    )
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)

    def clean_evidence_file(self) -> uploads.CheckedUpload | None:
        upload = self.cleaned_data.get("evidence_file")
        if not upload:
            return None
        return uploads.check_upload(upload, max_bytes=settings.NINETY_EVIDENCE_MAX_BYTES)


class DeliverableForm(VersionedForm):
    title = forms.CharField(max_length=200, label=_("Title"))
    owner = PersonChoiceField(required=False, label=_("Owner"))
    start_date = forms.DateField(widget=DateInput(), label=_("Start date"))
    due_date = forms.DateField(widget=DateInput(), label=_("Due date"))

    def __init__(self, *args, kickoff: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kickoff = kickoff

    def clean(self):
        cleaned = super().clean()
        start, due = cleaned.get("start_date"), cleaned.get("due_date")
        if start and due and start > due:
            self.add_error("due_date", gettext("The due date must be on or after the start date."))
        if self.kickoff:
            # Only dates the user changed: work done before a kickoff move keeps its dates.
            for name in ("start_date", "due_date"):
                value = cleaned.get(name)
                if value and name in self.changed_data:
                    error = plan_date_error(value, self.kickoff)
                    if error:
                        self.add_error(name, error)
        return cleaned


class WaiveForm(VersionedForm):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_("Why this is not needed for this pilot. Gate signers will read it."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(gettext("Say why this deliverable is waived."))
        return reason


class BulkAssignForm(forms.Form):
    deliverables = forms.ModelMultipleChoiceField(
        queryset=Deliverable.objects.none(),
        label=_("Deliverables"),
        error_messages={
            "required": _("Select at least one deliverable."),
            "invalid_choice": _(
                "Some of the selected deliverables are not part of this pilot. "
                "Nothing was assigned."
            ),
        },
    )
    owner = PersonChoiceField(
        label=_("Owner"),
        error_messages={
            "required": _("Choose the person to assign the deliverables to."),
            "invalid_choice": _(
                "That person is not among the people who can own work here. "
                "Choose someone from the list."
            ),
        },
    )

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deliverables"].queryset = Deliverable.objects.filter(pilot=pilot)

    def owner_choices(self) -> list[tuple[int, str]]:
        """(id, name) of everyone the owner menu offers. The pilot page draws this menu on
        every visit, so it reads four columns rather than whole user rows: with a few
        hundred people, whole rows cost more than the rest of the menu."""
        people = self.fields["owner"].queryset.values_list(
            "pk", "first_name", "last_name", "username"
        )
        return [(pk, f"{first} {last}".strip() or username) for pk, first, last, username in people]


class CustomDeliverableForm(forms.Form):
    phase_run = forms.ModelChoiceField(queryset=PhaseRun.objects.none(), label=_("Phase"))
    title = forms.CharField(max_length=200, label=_("Title"))
    guidance = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Guidance"),
    )
    dimension = forms.ChoiceField(choices=Dimension.choices, label=_("Dimension"))
    due_date = forms.DateField(widget=DateInput(), label=_("Due date"))
    owner = PersonChoiceField(required=False, label=_("Owner"))
    mandatory = forms.BooleanField(
        required=False, label=_("Mandatory"), help_text=_("Must be done before the phase gate.")
    )

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.fields["phase_run"].queryset = pilot.phase_runs.order_by("number")
        self.fields["phase_run"].label_from_instance = lambda run: f"{run.number}. {run.name}"

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < self.pilot.kickoff_date:
            raise forms.ValidationError(
                gettext("The due date cannot be before the pilot's kickoff.")
            )
        error = plan_date_error(due, self.pilot.kickoff_date)
        if error:
            raise forms.ValidationError(error)
        return due


# What a screen reader calls the pilot list's filters (they have no visible label).
FILTER_ARIA_LABELS = {
    "status": pgettext_lazy("screen-reader name of the pilot list's status filter", "status"),
    "phase": pgettext_lazy("screen-reader name of the pilot list's phase filter", "phase"),
    "business_unit": pgettext_lazy(
        "screen-reader name of the pilot list's business unit filter", "business_unit"
    ),
}


class PilotFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *Pilot.Status.choices]
    )
    phase = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any phase")),
            (1, _("Foundation")),
            (2, _("Integration")),
            (3, _("Scale")),
        ],
    )
    business_unit = forms.ChoiceField(required=False, choices=[("", _("Any business unit"))])

    def __init__(self, *args, business_units: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].choices = [
            ("", gettext("Any business unit")),
            *[(bu, bu) for bu in business_units],
        ]
        for name in ("status", "phase", "business_unit"):
            self.fields[name].widget.attrs["aria-label"] = (
                self.fields[name].label or FILTER_ARIA_LABELS[name]
            )

from django import forms
from django.contrib.auth import get_user_model

from pilots.models import Deliverable, PhaseRun, Pilot
from playbook.models import Dimension, Playbook

User = get_user_model()


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


class PilotForm(forms.ModelForm):
    sponsor = PersonChoiceField(required=False)
    production_owner = PersonChoiceField(
        required=False, help_text="Whose team will run it once live. Not the sponsor."
    )
    programme_manager = PersonChoiceField()
    playbook = forms.ModelChoiceField(queryset=Playbook.objects.published())

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
        widgets = {"kickoff_date": DateInput(), "problem": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.initial.get("playbook") and not self.instance.pk:
            self.initial["playbook"] = Playbook.default()
        if self.instance.pk and self.instance.is_launched:
            self.fields["playbook"].disabled = True
            self.fields["playbook"].help_text = "Fixed once the pilot is launched."
            self.fields[
                "kickoff_date"
            ].help_text = "Moving day 1 re-plans every open date; finished work keeps its dates."


class VersionedForm(forms.Form):
    """Carries the version the user saw, so a concurrent change is detected, not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TickForm(VersionedForm):
    evidence_url = forms.URLField(
        label="Evidence link", required=False, max_length=500, assume_scheme="https"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeliverableForm(VersionedForm):
    title = forms.CharField(max_length=200)
    owner = PersonChoiceField(required=False)
    start_date = forms.DateField(widget=DateInput())
    due_date = forms.DateField(widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, due = cleaned.get("start_date"), cleaned.get("due_date")
        if start and due and start > due:
            self.add_error("due_date", "The due date must be on or after the start date.")
        return cleaned


class WaiveForm(VersionedForm):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this is not needed for this pilot. Gate signers will read it.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why this deliverable is waived.")
        return reason


class BulkAssignForm(forms.Form):
    deliverables = forms.ModelMultipleChoiceField(
        queryset=Deliverable.objects.none(),
        error_messages={"required": "Select at least one deliverable."},
    )
    owner = PersonChoiceField()

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deliverables"].queryset = Deliverable.objects.filter(pilot=pilot)


class CustomDeliverableForm(forms.Form):
    phase_run = forms.ModelChoiceField(queryset=PhaseRun.objects.none(), label="Phase")
    title = forms.CharField(max_length=200)
    guidance = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    dimension = forms.ChoiceField(choices=Dimension.choices)
    due_date = forms.DateField(widget=DateInput())
    owner = PersonChoiceField(required=False)
    mandatory = forms.BooleanField(required=False, help_text="Must be done before the phase gate.")

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.fields["phase_run"].queryset = pilot.phase_runs.order_by("number")
        self.fields["phase_run"].label_from_instance = lambda run: f"{run.number}. {run.name}"

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < self.pilot.kickoff_date:
            raise forms.ValidationError("The due date cannot be before the pilot's kickoff.")
        return due


class PilotFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Pilot.Status.choices])
    phase = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any phase"), (1, "Foundation"), (2, "Integration"), (3, "Scale")],
    )
    business_unit = forms.ChoiceField(required=False, choices=[("", "Any business unit")])

    def __init__(self, *args, business_units: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].choices = [
            ("", "Any business unit"),
            *[(bu, bu) for bu in business_units],
        ]
        for name in ("status", "phase", "business_unit"):
            self.fields[name].widget.attrs["aria-label"] = self.fields[name].label or name

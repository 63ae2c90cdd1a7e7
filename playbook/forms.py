"""Forms of the playbook editor. They check what a person can fix in the form itself; the
services check the rest, and publishing checks the whole draft (playbook.schema)."""

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from playbook.labels import DELIVERABLE_LABELS, PHASE_LABELS, PLAYBOOK_LABELS
from playbook.models import (
    DeliverableKind,
    DeliverableTemplate,
    GateCriterion,
    Phase,
    Playbook,
    ReadinessArea,
    SignerRole,
)
from playbook.services import Direction


class PlaybookSettingsForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "length_days", "escalation_days", "description"]
        labels = PLAYBOOK_LABELS
        help_texts = {
            "length_days": _("Day 1 is a pilot's kickoff; the last phase ends by this day.")
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_length_days(self) -> int:
        value = self.cleaned_data["length_days"]
        if not 1 <= value <= 366:
            raise forms.ValidationError(gettext("Between 1 and 366 days."))
        return value


class PhaseForm(forms.ModelForm):
    gate_signers = forms.MultipleChoiceField(
        choices=SignerRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Who signs the gate"),
        help_text=_("Leadership signs only for pilots classed high-risk."),
    )

    class Meta:
        model = Phase
        fields = ["name", "purpose", "start_day", "end_day", "gate_signers"]
        labels = PHASE_LABELS
        widgets = {"purpose": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, playbook: Playbook, **kwargs):
        super().__init__(*args, **kwargs)
        self.playbook = playbook
        self.fields["start_day"].min_value = 1
        self.fields["end_day"].widget.attrs["max"] = playbook.length_days

    def clean(self):
        data = super().clean()
        start, end = data.get("start_day"), data.get("end_day")
        if start is not None and start < 1:
            self.add_error("start_day", gettext("Day 1 is the first day of a pilot."))
        elif start is not None and end is not None and end < start:
            self.add_error("end_day", gettext("The last day is on or after the first day."))
        elif end is not None and end > self.playbook.length_days:
            length = self.playbook.length_days
            message = ngettext(
                "The playbook is %(days)s day long.", "The playbook is %(days)s days long.", length
            )
            self.add_error("end_day", message % {"days": length})
        return data


class DeliverableTemplateForm(forms.ModelForm):
    class Meta:
        model = DeliverableTemplate
        fields = [
            "title",
            "guidance",
            "phase",
            "workstream",
            "dimension",
            "kind",
            "readiness_area",
            "start_day",
            "due_day",
            "suggested_owner_role",
            "mandatory",
            "evidence_required",
        ]
        labels = {
            **DELIVERABLE_LABELS,
            "evidence_required": _("Needs evidence (a link or a file)"),
        }
        help_texts = {
            "workstream": _("Groups the work on a pilot's plan, e.g. “Weeks 1-2 · Readiness”."),
            "readiness_area": _("Readiness checks only."),
        }
        widgets = {"guidance": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, playbook: Playbook, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = Phase.objects.filter(playbook=playbook).order_by("number")
        self.fields["phase"].empty_label = None
        self.fields["phase"].label_from_instance = lambda phase: f"{phase.number}. {phase.name}"
        self.fields["readiness_area"].choices = [("", gettext("None"))] + [
            c for c in ReadinessArea.choices if c[0]
        ]

    def clean(self):
        data = super().clean()
        phase, start, due = data.get("phase"), data.get("start_day"), data.get("due_day")
        if start is not None and start < 1:
            self.add_error("start_day", gettext("Day 1 is the first day of a pilot."))
        elif start is not None and due is not None and due < start:
            self.add_error("due_day", gettext("The due day is on or after the start day."))
        elif (
            phase
            and start is not None
            and due is not None
            and not phase.start_day <= start <= due <= phase.end_day
        ):
            self.add_error(
                "due_day" if start >= phase.start_day else "start_day",
                gettext("%(phase)s runs from day %(start)s to day %(end)s.")
                % {"phase": phase.name, "start": phase.start_day, "end": phase.end_day},
            )
        kind, area = data.get("kind"), data.get("readiness_area")
        if kind == DeliverableKind.READINESS_CHECK and not area:
            self.add_error(
                "readiness_area", gettext("Choose the area this readiness check confirms.")
            )
        elif kind and kind != DeliverableKind.READINESS_CHECK and area:
            self.add_error("readiness_area", gettext("Only readiness checks have an area."))
        return data


class GateCriterionForm(forms.ModelForm):
    class Meta:
        model = GateCriterion
        fields = ["statement"]
        labels = {"statement": _("What must be true to pass the gate")}
        widgets = {"statement": forms.Textarea(attrs={"rows": 2, "maxlength": 300})}


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=Direction.choices)


class PublishForm(forms.Form):
    make_default = forms.BooleanField(
        required=False, label=_("Make this version the default for new pilots")
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Playbook file"),
        help_text=_("YAML (.yaml, .yml) or JSON (.json), as written by Export."),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,.json"}),
    )

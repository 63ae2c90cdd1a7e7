"""Forms of the risk register: a risk, and the acceptance of its residual level."""

from datetime import date

from django import forms

from governance.models import Risk, RiskCategory
from governance.risks import IMPACT_SCALE, LIKELIHOOD_SCALE
from pilots.forms import DateInput, PersonChoiceField


def _scale(label: str, scale: list[tuple[int, str]], help_text: str = "") -> forms.Field:
    return forms.TypedChoiceField(
        label=label, choices=[("", "—"), *scale], coerce=int, help_text=help_text
    )


class RiskForm(forms.Form):
    """Create or edit a risk. `version` is the version the user saw (edits only)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=[("", "—"), *RiskCategory.choices])
    description = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    likelihood = _scale("Likelihood", LIKELIHOOD_SCALE, "Before mitigation.")
    impact = _scale("Impact", IMPACT_SCALE, "Before mitigation.")
    mitigation = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What is done, or will be, to reduce it.",
    )
    residual_likelihood = _scale("Residual likelihood", LIKELIHOOD_SCALE, "After mitigation.")
    residual_impact = _scale("Residual impact", IMPACT_SCALE, "After mitigation.")
    owner = PersonChoiceField(required=False)
    status = forms.ChoiceField(choices=Risk.Status.choices, initial=Risk.Status.OPEN)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["version"].required = editing

    @staticmethod
    def initial_from(risk: Risk) -> dict:
        return {
            "version": risk.version,
            "owner": risk.owner_id,
            **{
                name: getattr(risk, name)
                for name in (
                    "title",
                    "category",
                    "description",
                    "likelihood",
                    "impact",
                    "mitigation",
                    "residual_likelihood",
                    "residual_impact",
                    "status",
                )
            },
        }

    def changes(self) -> dict:
        """The cleaned values the services take (without the version)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    justification = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the remaining risk is acceptable for this pilot, and on what "
        "conditions. Gate signers and auditors read this.",
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=DateInput(),
        help_text="The acceptance lapses on this date and must then be renewed.",
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_expires_on(self) -> date:
        expires_on = self.cleaned_data["expires_on"]
        if expires_on <= self.today:
            raise forms.ValidationError("The expiry date must be in the future.")
        return expires_on

"""Forms of the risk register: a risk, and the acceptance of its residual level."""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.models import Risk, RiskCategory
from governance.risks import IMPACT_SCALE, LIKELIHOOD_SCALE
from pilots.forms import DateInput, PersonChoiceField


def _scale(label, scale: list[tuple[int, str]], help_text="") -> forms.Field:
    return forms.TypedChoiceField(
        label=label, choices=[("", "—"), *scale], coerce=int, help_text=help_text
    )


class RiskForm(forms.Form):
    """Create or edit a risk. `version` is the version the user saw (edits only)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=[("", "—"), *RiskCategory.choices]
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    likelihood = _scale(
        gettext_lazy("Likelihood"), LIKELIHOOD_SCALE, gettext_lazy("Before mitigation.")
    )
    impact = _scale(gettext_lazy("Impact"), IMPACT_SCALE, gettext_lazy("Before mitigation."))
    mitigation = forms.CharField(
        label=gettext_lazy("Mitigation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What is done, or will be, to reduce it."),
    )
    residual_likelihood = _scale(
        gettext_lazy("Residual likelihood"), LIKELIHOOD_SCALE, gettext_lazy("After mitigation.")
    )
    residual_impact = _scale(
        gettext_lazy("Residual impact"), IMPACT_SCALE, gettext_lazy("After mitigation.")
    )
    owner = PersonChoiceField(label=gettext_lazy("Owner"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=Risk.Status.choices, initial=Risk.Status.OPEN
    )

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
        label=gettext_lazy("Justification"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Why the remaining risk is acceptable for this pilot, and on what "
            "conditions. Gate signers and auditors read this."
        ),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        widget=DateInput(),
        help_text=gettext_lazy("The acceptance lapses on this date and must then be renewed."),
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_expires_on(self) -> date:
        expires_on = self.cleaned_data["expires_on"]
        if expires_on <= self.today:
            raise forms.ValidationError(_("The expiry date must be in the future."))
        return expires_on

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.models import GovernanceReview
from pilots.forms import DateInput, PersonChoiceField


class SignForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Statement"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "What you confirm by signing, in a sentence. It is printed in the sign-off."
        ),
    )

    def clean_statement(self) -> str:
        statement = self.cleaned_data["statement"].strip()
        if not statement:
            raise forms.ValidationError(_("Write a short statement of what you are signing for."))
        return statement


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the gate is reopened."))
        return reason


class ReviewForm(forms.ModelForm):
    reviewer = PersonChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("first_name"),
        label=gettext_lazy("Reviewer"),
        help_text=gettext_lazy(
            "Someone outside the pilot team: legal, an external auditor, a specialist."
        ),
    )

    class Meta:
        model = GovernanceReview
        fields = ["reviewer", "reviewer_organisation", "performed_on", "conclusion", "findings"]
        widgets = {"performed_on": DateInput(), "findings": forms.Textarea(attrs={"rows": 4})}
        # The model's fields have no verbose names (adding them would be a migration):
        # the labels Django makes of the field names, marked for translation here.
        labels = {
            "reviewer_organisation": gettext_lazy("Reviewer organisation"),
            "performed_on": gettext_lazy("Performed on"),
            "conclusion": gettext_lazy("Conclusion"),
            "findings": gettext_lazy("Findings"),
        }


class VerifyForm(forms.Form):
    fingerprint = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Fingerprint or file hash"),
        help_text=gettext_lazy("The 64-character SHA-256 printed at the foot of every page."),
    )
    document = forms.FileField(required=False, label=gettext_lazy("…or upload the PDF"))

    MAX_UPLOAD = 50 * 1024 * 1024

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("fingerprint") and not cleaned.get("document"):
            raise forms.ValidationError(_("Paste a fingerprint or choose a PDF file."))
        upload = cleaned.get("document")
        if upload and upload.size > self.MAX_UPLOAD:
            raise forms.ValidationError(_("That file is larger than any sign-off document."))
        return cleaned

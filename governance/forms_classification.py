"""The AI Act questionnaire as a form, built from governance.questionnaire."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.questionnaire import PROHIBITED, QUESTIONS, SECTIONS, questions_in

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class QuestionnaireForm(forms.Form):
    """Every question is answered deliberately (no default answer), except that a yes to a
    prohibited practice settles the class, so the rest may then stay blank."""

    purpose = forms.CharField(
        label=gettext_lazy("Intended purpose"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "What the system is meant to do, for whom, in a sentence or two. The "
            "reviewer reads the answers against this."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            choices = question.get("choices", YES_NO)
            self.fields[question["key"]] = forms.ChoiceField(
                label=question["text"],
                help_text=question["help"],
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )

    @staticmethod
    def initial_from(answers: dict) -> dict:
        """Form initial values from stored answers (for a reclassification)."""
        initial = {"purpose": answers.get("purpose", "")}
        for question in QUESTIONS:
            value = answers.get(question["key"])
            if "choices" in question:
                initial[question["key"]] = value or ""
            elif value is not None:
                initial[question["key"]] = "yes" if value else "no"
        return initial

    def clean(self):
        cleaned = super().clean()
        prohibited = any(cleaned.get(q["key"]) == "yes" for q in questions_in(PROHIBITED))
        for question in QUESTIONS:
            key = question["key"]
            if prohibited or not question.get("required", True) or cleaned.get(key):
                continue
            if key not in self.errors:
                self.add_error(key, _("Answer this question."))
        return cleaned

    def answers(self) -> dict:
        """The stored form of the answers: True/False/None per question, the role as is."""
        data = {"purpose": self.cleaned_data["purpose"]}
        for question in QUESTIONS:
            value = self.cleaned_data.get(question["key"]) or None
            if "choices" not in question and value is not None:
                value = value == "yes"
            data[question["key"]] = value
        return data

    def sections(self) -> list[dict]:
        """The bound fields grouped by section, for the template."""
        return [
            {**section, "fields": [self[q["key"]] for q in questions_in(section["key"])]}
            for section in SECTIONS
        ]

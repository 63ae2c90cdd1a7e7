"""Forms of the intake, the decisions, the KPI readings, the rollout and go-live.

Every text has a length limit and refuses NUL characters (Django's CharField does);
every date is held to a plausible window, so a typing slip (a year of 9999) is a form
error rather than a date the pages cannot show.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pilots.forms import DateInput, PersonChoiceField, VersionedForm, years_from
from pilots.intake_models import DecisionKind, ReviewCadence, RolloutDecision
from pilots.templatetags.ninety import ldate
from pilots.value_models import CostCategory

DATE_WINDOW_YEARS = 10
LONG_TEXT = 4000


def _within_window(value: date | None) -> date | None:
    if value is None:
        return value
    today = timezone.localdate()
    earliest, latest = years_from(today, -DATE_WINDOW_YEARS), years_from(today, DATE_WINDOW_YEARS)
    if not earliest <= value <= latest:
        raise forms.ValidationError(
            gettext("Choose a date between %(earliest)s and %(latest)s.")
            % {"earliest": ldate(earliest, "date"), "latest": ldate(latest, "date")}
        )
    return value


def _max_length_message(max_length: int) -> str:
    """The too-long error in the reader's language, the limit written as they write numbers
    ("4,000", "4.000"); Django's validator fills in %(show_value)d when it is shown."""
    return gettext("Keep this to %(limit)s characters (it has %(show_value)s).") % {
        "limit": number_format(max_length, force_grouping=True),
        "show_value": "%(show_value)d",
    }


_max_length_message_lazy = lazy(_max_length_message, str)


def _text(max_length: int = LONG_TEXT, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"max_length": _max_length_message_lazy(max_length)},
        **kwargs,
    )


def _amount(**kwargs) -> forms.DecimalField:
    kwargs.setdefault("min_value", Decimal(0))
    kwargs.setdefault("max_digits", 14)
    return forms.DecimalField(
        required=False,
        decimal_places=2,
        error_messages={"min_value": _("This cannot be negative.")},
        **kwargs,
    )


class IntakeForm(VersionedForm):
    production_owner = PersonChoiceField(
        required=False,
        label=_("Production owner"),
        help_text=_(
            "The person whose team will run it once live, and who may veto scope. Not the sponsor."
        ),
    )
    success_metric = forms.CharField(
        required=False,
        max_length=160,
        label=_("Success metric"),
        help_text=_(
            "A business outcome, such as minutes to handle a claim. A model score "
            "such as test-set accuracy is not one."
        ),
    )
    success_unit = forms.CharField(required=False, max_length=24, label=_("Unit"))
    success_baseline = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("Baseline")
    )
    success_target = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("Target")
    )
    success_target_date = forms.DateField(
        required=False, widget=DateInput(), label=_("Target date")
    )
    governance_engaged_on = forms.DateField(
        required=False, widget=DateInput(), label=_("Governance consulted on")
    )
    governance_engaged_with = forms.CharField(
        required=False,
        max_length=300,
        label=_("Consulted"),
        help_text=_("Risk, privacy, legal, security: who was asked."),
    )
    governance_early_read = _text(
        label=_("Their early read"), help_text=_("What would stop this reaching production?")
    )
    expected_yearly_benefit = _amount(
        label=_("Expected yearly benefit (€)"),
        help_text=_("What a year at the target is worth, in money."),
    )
    workforce_plan = _text(
        label=_("Workforce change plan"),
        help_text=_("Who must learn what, by when, and how, for the system to be used."),
    )
    expected_scale = _text(2000, 2, label=_("Scale it must handle"))
    integrations = _text(2000, 2, label=_("Integrations needed"))
    acceptable_error_rate = forms.CharField(
        required=False, max_length=300, label=_("Acceptable error rate")
    )
    known_shortcuts = _text(
        label=_("Shortcuts taken"), help_text=_("And what fixing them later will cost.")
    )

    def clean_success_target_date(self):
        return _within_window(self.cleaned_data["success_target_date"])

    def clean_governance_engaged_on(self):
        return _within_window(self.cleaned_data["governance_engaged_on"])

    def clean(self):
        cleaned = super().clean()
        if self.has_error("version"):
            self.add_error(
                None, gettext("This page is out of date. Reload it and make your change again.")
            )
        return cleaned


class CostLineForm(forms.Form):
    category = forms.ChoiceField(choices=CostCategory.choices, label=_("Category"))
    description = forms.CharField(required=False, max_length=200, label=_("Description"))
    annual_cost = _amount(label=_("Amount a year (€)"))
    fte = forms.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        label=_("FTE"),
        error_messages={"min_value": _("This cannot be negative.")},
    )
    fte_annual_rate = _amount(label=_("Cost of one FTE (€)"), max_digits=12)

    # The inputs sit inside the intake form's table but belong to this form (HTML's
    # `form` attribute): forms cannot nest.
    FORM_ID = "cost-add"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cost_%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["form"] = self.FORM_ID

    def clean(self):
        cleaned = super().clean()
        amount, fte, rate = (cleaned.get(k) for k in ("annual_cost", "fte", "fte_annual_rate"))
        if self.errors:
            return cleaned
        by_fte = fte is not None or rate is not None
        if by_fte and (fte is None or rate is None):
            raise forms.ValidationError(
                gettext("For people, give both the FTEs and the yearly rate.")
            )
        if by_fte and amount is not None:
            raise forms.ValidationError(gettext("Give an amount or FTEs with a rate, not both."))
        if not by_fte and amount is None:
            raise forms.ValidationError(
                gettext("Give the yearly amount, or FTEs with a yearly rate.")
            )
        return cleaned


class LaunchForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason to launch before every intake decision is answered"),
    )


class DecisionForm(forms.Form):
    """Pause, stop or resume, from the pilot's Decisions tab."""

    kind = forms.ChoiceField(
        choices=[
            (DecisionKind.PAUSE, _("Pause")),
            (DecisionKind.KILL, _("Stop")),
            (DecisionKind.RESUME, _("Resume")),
        ],
        label=_("Kind"),
    )
    rationale = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        error_messages={"required": _("Write down the reason for this decision.")},
    )

    def clean_rationale(self) -> str:
        text = self.cleaned_data["rationale"].strip()
        if not text:
            raise forms.ValidationError(gettext("Write down the reason for this decision."))
        return text


class TriageForm(DecisionForm):
    kind = forms.ChoiceField(
        choices=[
            (DecisionKind.CONTINUE, _("Continue")),
            (DecisionKind.PAUSE, _("Pause")),
            (DecisionKind.KILL, _("Stop")),
        ],
        widget=forms.RadioSelect,
        label=_("Decision"),
    )


class KpiReadingForm(forms.Form):
    taken_on = forms.DateField(widget=DateInput(), label=_("Date"))
    value = forms.DecimalField(max_digits=14, decimal_places=2, label=_("Value"))
    note = forms.CharField(required=False, max_length=500, label=_("Note"))

    def clean_taken_on(self):
        taken_on = _within_window(self.cleaned_data["taken_on"])
        if taken_on > timezone.localdate():
            raise forms.ValidationError(gettext("A reading cannot be dated in the future."))
        return taken_on


class RolloutStepForm(forms.Form):
    label = forms.CharField(max_length=80, label=_("Label"))
    percent_from = forms.IntegerField(min_value=1, max_value=100, label=_("From %"))
    percent_to = forms.IntegerField(min_value=1, max_value=100, label=_("To %"))
    planned_on = forms.DateField(widget=DateInput(), label=_("Planned"))

    def clean_planned_on(self):
        return _within_window(self.cleaned_data["planned_on"])

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("percent_from"), cleaned.get("percent_to")
        if low is not None and high is not None and low > high:
            self.add_error("percent_to", gettext("The share cannot end below where it starts."))
        return cleaned


class RolloutDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(RolloutDecision.GO, _("Go")), (RolloutDecision.NO_GO, _("No-go"))],
        widget=forms.RadioSelect,
        label=_("Decision"),
    )
    checks = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Checks made"),
        help_text=_("Performance held? Errors within the agreed rate? Users' feedback?"),
    )
    actual_on = forms.DateField(
        required=False,
        widget=DateInput(),
        label=_("Went ahead on"),
        help_text=_("Today if empty."),
    )

    def clean_actual_on(self):
        actual = _within_window(self.cleaned_data["actual_on"])
        if actual and actual > timezone.localdate():
            raise forms.ValidationError(
                gettext("A step cannot have gone ahead on a date still to come.")
            )
        return actual


class GoLiveForm(forms.Form):
    operating_owner = PersonChoiceField(
        label=_("Operating owner"),
        help_text=_("Whose job it is to keep it running and improving."),
    )
    runbook_url = forms.URLField(max_length=500, assume_scheme="https", label=_("Runbook link"))
    support_model = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Support model"),
        help_text=_("Who monitors it daily, who handles incidents, how model updates happen."),
    )
    on_call_contact = forms.CharField(
        max_length=200, label=_("On-call contact"), help_text=_("Who is called at night.")
    )
    review_cadence = forms.ChoiceField(
        choices=ReviewCadence.choices, initial=ReviewCadence.QUARTERLY, label=_("Review cadence")
    )
    rationale = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why it is ready"),
    )


class ReviewForm(forms.Form):
    notes = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What the review found"),
        help_text=_(
            "Performance against the success metric, running cost, incidents, what changes next."
        ),
    )

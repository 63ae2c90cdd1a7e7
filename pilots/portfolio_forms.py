"""The portfolio's filters and sort, kept in the URL so a filtered view can be shared."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PortfolioFilterForm(forms.Form):
    """The portfolio's filters and sort, all in the URL so a view can be shared."""

    SORTS = {
        "rag": ("rag_rank", "-late_mandatory_count", "-overdue_count", "reference"),
        "name": ("name", "reference"),
        "unit": ("business_unit", "reference"),
        "day": ("day", "reference"),
        "progress": ("percent_closed", "reference"),
        "overdue": ("overdue_count", "reference"),
        "gate": ("next_gate_on", "reference"),
        "cost": ("cost_12m", "reference"),
    }
    DEFAULT_SORT = "rag"

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    unit = forms.ChoiceField(required=False, label=_("Business unit"))
    stage = forms.ChoiceField(required=False, label=_("Stage"))
    rag = forms.ChoiceField(required=False, label=_("RAG"))
    pm = forms.ChoiceField(required=False, label=_("Programme manager"))
    sort = forms.CharField(required=False, max_length=12)

    def __init__(self, *args, business_units, managers, facets, **kwargs):
        from pilots.portfolio import Rag, Stage

        super().__init__(*args, **kwargs)
        self.facets = facets
        self.fields["unit"].choices = [
            ("", gettext("Any business unit")),
            *[(u, u) for u in business_units],
        ]
        self.fields["stage"].choices = [("", gettext("Any stage")), *Stage.choices]
        self.fields["rag"].choices = [
            ("", gettext("Any RAG")),
            *Rag.choices,
            ("stuck", gettext("In purgatory")),
        ]
        self.fields["pm"].choices = [
            ("", gettext("Any programme manager")),
            *[(str(user.pk), user.get_full_name() or user.username) for user in managers],
        ]
        for facet in facets.values():
            self.fields[facet.name] = forms.ChoiceField(
                required=False,
                label=facet.label,
                # Translators: the empty choice of a filter another app adds, such as
                # "Any AI Act class".
                choices=[("", gettext("Any %(filter)s") % {"filter": facet.label}), *facet.choices],
            )
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = field.label or name

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"] or self.DEFAULT_SORT
        if sort.removeprefix("-") not in self.SORTS:
            raise forms.ValidationError(gettext("Unknown sort."))
        return sort

    @property
    def sort_order(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("sort") or self.DEFAULT_SORT

    def _chosen(self) -> dict:
        """The valid, non-empty choices. A value that does not validate (a business unit
        since renamed, in a bookmarked link) is left out rather than failing the page; the
        form shows its error."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def filter_pilots(self, pilots):
        """The filters the database applies, on a `Pilot.objects.for_portfolio()` queryset."""
        data = self._chosen()
        if data.get("q"):
            pilots = pilots.filter(
                Q(name__icontains=data["q"])
                | Q(reference__icontains=data["q"])
                | Q(business_unit__icontains=data["q"])
                | Q(problem__icontains=data["q"])
            )
        if data.get("unit"):
            pilots = pilots.filter(business_unit=data["unit"])
        if data.get("pm"):
            pilots = pilots.filter(programme_manager_id=data["pm"])
        for facet in self.facets.values():
            value = data.get(facet.name)
            if value == facet.empty:
                pilots = pilots.filter(**{f"{facet.name}__isnull": True})
            elif value:
                pilots = pilots.filter(**{facet.name: value})
        return pilots

    @property
    def filters_rows(self) -> bool:
        """Whether a filter applies to judged rows (stage, RAG), not only in the database."""
        data = self._chosen()
        return bool(data.get("stage") or data.get("rag"))

    def filter_rows(self, rows: list) -> list:
        """The filters on judged rows (stage and RAG are decided in Python), then the sort."""
        from pilots.portfolio import sort_rows

        data = self._chosen()
        if data.get("stage"):
            rows = [row for row in rows if row.stage == data["stage"]]
        if data.get("rag") == "stuck":
            rows = [row for row in rows if row.stuck_reasons]
        elif data.get("rag"):
            rows = [row for row in rows if row.rag == data["rag"]]
        sort = self.sort_order
        sort_rows(rows, self.SORTS[sort.removeprefix("-")], descending=sort.startswith("-"))
        return rows

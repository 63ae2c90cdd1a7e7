"""The words every deliverable (and portfolio) row repeats, translated once per request.

A page of 60 deliverables would otherwise look up the same dozen phrases in the
catalogue for every row: over a thousand `{% translate %}` calls, a fifth of the page's
time. Rows use `{{ row_text.mark_done }}`, or `{{ row_text.mark_named|fill:title }}` for
a phrase that names the deliverable (pilots.templatetags.ninety.fill). The context
processor pilots.context_processors.roles puts the table, lazily, in every page.
"""

from django.utils.translation import gettext_lazy as _

ROW_TEXT = {
    "select_named": _("Select %(title)s"),
    "gate_badge_title": _("Must be done or waived before the phase gate"),
    "gate_badge": _("gate"),
    "added": _("added"),
    "waived_reason": _("Waived: %(reason)s"),
    "no_owner": _("no owner"),
    "edit": _("Edit"),
    "waive": _("Waive"),
    "reopen": _("Reopen"),
    "overdue": _("overdue"),
    "due_soon": _("due soon"),
    "undo_title": _("Done — click to undo"),
    "undo_named": _("Undo: mark “%(title)s” not done"),
    "mark_done": _("Mark done"),
    "mark_named": _("Mark “%(title)s” done"),
    "guidance": _("Guidance"),
    "tick_with_evidence": _("Tick with evidence or a note"),
    "evidence_page": _("Open the evidence form"),
    "evidence_placeholder": _("https://… link to the evidence"),
    "evidence_link": _("Evidence link"),
    "note_placeholder": _("Note (optional)"),
    "note": _("Note"),
    "evidence_file": _("Evidence file"),
    "evidence_types": _("(PDF, image, text, Word or Excel)"),
    # The column heads of the pilot page's tables, one table per week window
    "col_select": _("Select"),
    "col_done": _("Done"),
    "col_deliverable": _("Deliverable"),
    "col_dimension": _("Dimension"),
    "col_owner": _("Owner"),
    "col_due": _("Due"),
    "col_status": _("Status"),
    "col_actions": _("Actions"),
    # The portfolio's rows
    "day_of": _("%(day)s of 90"),
    "pm_named": _("PM %(name)s"),
    "metric_legend": _("baseline → target → latest"),
}


def row_text() -> dict[str, str]:
    """The table in the active language."""
    return {key: str(text) for key, text in ROW_TEXT.items()}

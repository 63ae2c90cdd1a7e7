"""The links of deliverable rows, without a reverse() per link.

reverse() costs about 15 µs. Sixty rows with four links each spent a tenth of the pilot
page's time on it. So each link's pattern is reversed once per page, with a placeholder
where the deliverable's id goes, and each row puts its own id in.
"""

from django.urls import reverse

from pilots.models import Deliverable

# Larger than any primary key (PostgreSQL's bigint ends at 9223372036854775807), so it
# cannot be mistaken for the pilot's id in the same URL.
PLACEHOLDER = "99999999999999999999"


class RowLinks:
    """`routes` maps a link's key to its URL name and the arguments before the
    deliverable's id, which is always the last. Keys "tick" and "untick" also give
    "toggle": the one the row's tick box posts to."""

    def __init__(self, routes: dict[str, tuple]):
        self.patterns = {
            key: reverse(name, args=[*args, PLACEHOLDER]) for key, (name, *args) in routes.items()
        }

    def of(self, deliverable: Deliverable) -> dict[str, str]:
        pk = str(deliverable.pk)
        links = {key: pattern.replace(PLACEHOLDER, pk) for key, pattern in self.patterns.items()}
        done = deliverable.status == Deliverable.Status.DONE
        links["toggle"] = links["untick" if done else "tick"]
        return links


def pilot_page_links(pilot_pk: int) -> RowLinks:
    return RowLinks(
        {
            "tick": ("deliverable-tick", pilot_pk),
            "untick": ("deliverable-untick", pilot_pk),
            "edit": ("deliverable-edit", pilot_pk),
            "waive": ("deliverable-waive", pilot_pk),
            "reopen": ("deliverable-reopen", pilot_pk),
            "evidence": ("deliverable-evidence",),
        }
    )


def my_work_links() -> RowLinks:
    return RowLinks(
        {
            "tick": ("my-work-tick",),
            "untick": ("my-work-untick",),
            "evidence": ("deliverable-evidence",),
        }
    )

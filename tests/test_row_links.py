"""Row links are built from one reversed pattern per page, and row labels from one enum
lookup; both must answer what Django's own reverse() and get_FOO_display() would."""

import pytest
from django.urls import reverse

from pilots import services
from pilots.row_links import PLACEHOLDER, my_work_links, pilot_page_links
from tests.conftest import build_pilot

pytestmark = pytest.mark.django_db


def test_it_gives_each_row_the_urls_reverse_would(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    links = pilot_page_links(pilot.pk)
    for item in pilot.deliverables.all():
        row = links.of(item)
        for key in ("tick", "untick", "edit", "waive", "reopen"):
            assert row[key] == reverse(f"deliverable-{key}", args=[pilot.pk, item.pk])
        assert row["toggle"] == row["tick"]
        assert my_work_links().of(item)["toggle"] == reverse("my-work-tick", args=[item.pk])


def test_a_done_rows_tick_box_posts_to_untick(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    item = pilot.deliverables.first()
    services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)
    assert pilot_page_links(pilot.pk).of(item)["toggle"] == reverse(
        "deliverable-untick", args=[pilot.pk, item.pk]
    )
    assert my_work_links().of(item)["toggle"] == reverse("my-work-untick", args=[item.pk])


def test_the_placeholder_cannot_be_a_primary_key():
    # PostgreSQL's bigint, the widest key Django creates, ends below it.
    assert int(PLACEHOLDER) > 2**63 - 1


def test_a_rows_labels_are_translated_and_an_unknown_value_shows_as_itself(pm, playbook):
    from django.utils import translation

    item = build_pilot(programme_manager=pm, playbook=playbook).deliverables.first()
    with translation.override("de"):
        assert item.get_status_display() == "Offen"
    item.status, item.dimension = "bogus", "elsewhere"
    assert item.get_status_display() == "bogus" and item.get_dimension_display() == "elsewhere"

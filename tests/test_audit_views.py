"""The audit tab and its CSV export, through the browser-facing views."""

import csv
import io

import pytest
from django.urls import reverse

from governance.models import AuditEvent
from pilots import services


@pytest.fixture
def history(pilot, pm, owner, owned):
    pm.first_name, pm.last_name = '=HYPERLINK("http://evil")', ""
    pm.save(update_fields=["first_name", "last_name"])
    services.pilot_update(pilot=pilot, actor=pm, name="Renamed")
    services.deliverable_set_done(
        deliverable=owned, actor=owner, done=True, expected_version=owned.version
    )
    return pilot


def test_members_read_the_trail_and_filter_it_by_person_and_kind(client, history, owner, pm):
    client.force_login(owner)
    url = reverse("governance-audit", args=[history.pk])
    page = client.get(url)
    assert page.status_code == 200
    verbs = [e.verb for e in page.context["page"]]
    assert verbs[0] == "deliverable.done" and "pilot.updated" in verbs
    assert [e.verb for e in client.get(url, {"person": owner.pk}).context["page"]] == [
        "deliverable.done"
    ]
    assert {e.verb.split(".")[0] for e in client.get(url, {"kind": "pilot"}).context["page"]} == {
        "pilot"
    }
    done_by = dict((k, new) for k, _old, new, _had in page.context["page"][0].changes)["done_by"]
    assert done_by == "Owner Test"  # people by name, not by id
    fragment = client.get(url, {"kind": "deliverable"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="events"')


def test_the_csv_export_neutralises_formulas(client, history, pm):
    client.force_login(pm)
    response = client.get(reverse("governance-audit-csv", args=[history.pk]))
    assert response["Content-Disposition"].endswith('-audit.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["seq", "time", "actor", "verb"]
    updated = next(r for r in rows if r[3] == "pilot.updated")
    assert updated[2] == '\'=HYPERLINK("http://evil")'  # the actor's name, made inert


def test_outsiders_get_404_and_anonymous_users_are_sent_to_log_in(client, history, outsider):
    for name in ("governance-audit", "governance-audit-csv"):
        url = reverse(name, args=[history.pk])
        assert client.get(url).status_code == 302
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 405
        client.logout()


def test_every_verb_written_has_a_kind_to_filter_by(
    client, pilot, pm, production_owner, reviewer, django_capture_on_commit_callbacks
):
    from governance import gates
    from governance.views.audit import KINDS
    from tests.governance_builders import close_mandatory, phase_run

    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="a")
        gates.gate_sign(
            phase_run=run, slot="production_owner", signer=production_owner, statement="b"
        )
    verbs = set(AuditEvent.objects.filter(pilot_id=pilot.pk).values_list("verb", flat=True))
    assert {"phase.state_changed", "gate.closed", "document.rendered"} <= verbs
    kinds = [kind for kind, _label in KINDS]
    assert [v for v in verbs if not any(v.startswith(kind) for kind in kinds)] == []
    client.force_login(pm)
    page = client.get(reverse("governance-audit", args=[pilot.pk]), {"kind": "phase"})
    assert page.context["form"].is_valid()
    assert {e.verb for e in page.context["page"]} == {"phase.state_changed"}


def test_the_verbs_of_governance_and_pilots_code_all_have_a_kind():
    """Every verb literal in the code, not only those one flow writes."""
    import re
    from pathlib import Path

    from governance.views.audit import KINDS

    root = Path(__file__).resolve().parent.parent
    verbs = {
        verb
        for folder in ("governance", "pilots")
        for path in (root / folder).rglob("*.py")
        for verb in re.findall(r'verb="([a-z_.]+)"', path.read_text())
    }
    kinds = [kind for kind, _label in KINDS]
    assert len(verbs) > 20
    assert sorted(v for v in verbs if not any(v.startswith(k) for k in kinds)) == []

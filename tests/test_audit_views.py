"""The audit tab and its CSV export, through the browser-facing views."""

import csv
import io

import pytest
from django.urls import reverse

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

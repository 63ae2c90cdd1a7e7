"""Changes made past the services land in the audit trail too: every Django admin change
(users and their roles included), and the evidence given when a deliverable is ticked."""

from django.contrib.auth.models import Group
from django.forms import MultiWidget
from django.urls import reverse

from governance import audit
from governance.models import AuditEvent
from pilots import services
from pilots.models import Deliverable
from pilots.roles import Role
from tests.conftest import make_user


def admin_form_data(client, url: str) -> dict:
    """The admin change form as it stands, ready to post back (no inline rows)."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):  # the admin's split date and time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = part if part is not None else ""
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = value
    return data


def test_it_records_a_pilot_changed_in_the_admin_on_the_pilots_trail(client, admin_user, pilot):
    client.force_login(admin_user)
    url = reverse("admin:pilots_pilot_change", args=[pilot.pk])
    data = admin_form_data(client, url)
    data |= {
        "name": "Renamed by support",
        "phase_runs-TOTAL_FORMS": "0",
        "phase_runs-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(verb="admin.changed")
    assert event.actor == admin_user and event.pilot_id == pilot.pk
    assert (event.object_type, event.object_id) == ("pilots.pilot", str(pilot.pk))
    assert "Name" in event.after["message"]
    assert event.after["values"]["name"] == "Renamed by support"
    assert audit.verify_chain()[1] is None
    client.force_login(pilot.programme_manager)
    trail = client.get(reverse("governance-audit", args=[pilot.pk]), {"kind": "admin"})
    assert [e.verb for e in trail.context["page"]] == ["admin.changed"]


def test_it_records_roles_given_to_a_user_in_the_admin_without_the_password(client, admin_user):
    person = make_user("newcomer")
    leadership = Group.objects.get_or_create(name=Role.LEADERSHIP)[0]
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[person.pk])
    data = admin_form_data(client, url)
    data["groups"] = [str(leadership.pk)]
    response = client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="admin.changed", object_type="auth.user")
    assert event.actor == admin_user and event.object_id == str(person.pk)
    assert event.after["roles"] == [Role.LEADERSHIP]
    assert event.after["values"]["groups"] == [Role.LEADERSHIP]
    assert person.password not in str(event.after)


def test_it_records_users_and_groups_added_and_deleted_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "support-made", "password1": "a-long-pass-9!", "password2": "a-long-pass-9!"},
    )
    assert response.status_code == 302
    added = AuditEvent.objects.get(verb="admin.added", object_type="auth.user")
    assert added.object_repr == "support-made"
    assert "password" not in added.after.get("values", {})
    group = Group.objects.create(name="Temporary")
    delete = reverse("admin:auth_group_delete", args=[group.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(verb="admin.deleted")
    assert (deleted.object_type, deleted.object_id) == ("auth.group", str(group.pk))
    assert deleted.object_repr == "Temporary" and deleted.actor == admin_user


def test_it_records_each_object_of_a_bulk_delete_in_the_admin(client, admin_user):
    # Django logs a bulk deletion with bulk_create, which sends no post_save.
    groups = [Group.objects.create(name=f"Bulk {n}") for n in range(3)]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_group_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(g.pk) for g in groups],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Group.objects.filter(name__startswith="Bulk").exists()
    deleted = AuditEvent.objects.filter(verb="admin.deleted").order_by("seq")
    assert sorted(e.object_repr for e in deleted) == ["Bulk 0", "Bulk 1", "Bulk 2"]
    one = Group.objects.create(name="Alone")
    client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [str(one.pk)], "post": "yes"},
    )
    # One object is logged with save(), so post_save records it; it is not recorded twice.
    assert AuditEvent.objects.filter(verb="admin.deleted", object_repr="Alone").count() == 1
    assert audit.verify_chain()[1] is None


def test_the_tick_event_records_the_evidence_given_with_it(owned, owner):
    services.deliverable_set_done(
        deliverable=owned,
        actor=owner,
        done=True,
        expected_version=owned.version,
        evidence_url="https://wiki.example.com/runbook",
        note="Signed runbook, v3",
    )
    event = AuditEvent.objects.get(verb="deliverable.done")
    assert event.after["evidence_url"] == "https://wiki.example.com/runbook"
    assert event.after["evidence_note"] == "Signed runbook, v3"
    other = Deliverable.objects.filter(pilot=owned.pilot).exclude(pk=owned.pk).first()
    services.deliverable_set_done(
        deliverable=other, actor=owner, done=True, expected_version=other.version
    )
    plain = AuditEvent.objects.filter(verb="deliverable.done").order_by("-seq").first()
    assert "evidence_url" not in plain.after and "evidence_note" not in plain.after

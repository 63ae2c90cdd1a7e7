"""The Django admin works for support: every model of ours is registered, and every list
and add page loads."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

OUR_APPS = ("playbook", "pilots", "governance")


def _admin_models() -> list:
    models = [m for label in OUR_APPS for m in apps.get_app_config(label).get_models()]
    return [*models, get_user_model(), Group]


def test_every_model_of_ours_and_users_and_groups_are_in_the_admin():
    missing = [m._meta.label for m in _admin_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", _admin_models(), ids=lambda m: m._meta.label)
def test_the_list_and_add_pages_load_for_an_administrator(client, admin_user, pilot, model):
    client.force_login(admin_user)
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    assert client.get(changelist).status_code == 200, changelist
    request = RequestFactory().get(changelist)
    request.user = admin_user
    add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
    if admin.site._registry[model].has_add_permission(request):
        assert client.get(add).status_code == 200, add
    else:
        assert client.get(add).status_code == 403, add


def test_non_staff_users_cannot_enter_the_admin(client, pm):
    client.force_login(pm)
    assert client.get(reverse("admin:index")).status_code == 302


def test_support_can_open_a_pilot_and_a_deliverable(client, admin_user, pilot):
    client.force_login(admin_user)
    deliverable = pilot.deliverables.first()
    for url in (
        reverse("admin:pilots_pilot_change", args=[pilot.pk]),
        reverse("admin:pilots_deliverable_change", args=[deliverable.pk]),
        reverse("admin:pilots_phaserun_change", args=[pilot.phase_runs.first().pk]),
        reverse("admin:auth_user_changelist") + "?q=owner",
    ):
        assert client.get(url).status_code == 200, url


def test_a_pilot_changed_in_the_admin_refuses_an_edit_form_opened_before(
    client, admin_user, pm, pilot
):
    client.force_login(pm)
    seen = client.get(reverse("pilot-edit", args=[pilot.pk])).context["form"]["version"].value()
    client.force_login(admin_user)
    change = reverse("admin:pilots_pilot_change", args=[pilot.pk])
    form = client.get(change).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "name": "Renamed by support",
            "phase_runs-TOTAL_FORMS": "0",
            "phase_runs-INITIAL_FORMS": "0",
        }
    )
    assert client.post(change, data).status_code == 302
    client.force_login(pm)
    response = client.post(
        reverse("pilot-edit", args=[pilot.pk]),
        {
            "name": "Mine",
            "business_unit": pilot.business_unit,
            "problem": pilot.problem,
            "programme_manager": pm.pk,
            "kickoff_date": pilot.kickoff_date.isoformat(),
            "playbook": pilot.playbook_id,
            "version": seen,
        },
    )
    assert response.status_code == 409

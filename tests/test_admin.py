"""The Django admin works for support: every registered model's list and add pages load."""

from django.contrib import admin
from django.urls import reverse


def test_every_admin_list_page_loads_for_an_administrator(client, admin_user, pilot):
    client.force_login(admin_user)
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_non_staff_users_cannot_enter_the_admin(client, pm):
    client.force_login(pm)
    assert client.get(reverse("admin:index")).status_code == 302


def test_support_can_open_a_pilot_and_a_deliverable(client, admin_user, pilot):
    client.force_login(admin_user)
    deliverable = pilot.deliverables.first()
    for url in (
        reverse("admin:pilots_pilot_change", args=[pilot.pk]),
        reverse("admin:pilots_deliverable_change", args=[deliverable.pk]),
        reverse("admin:auth_user_changelist") + "?q=owner",
    ):
        assert client.get(url).status_code == 200, url

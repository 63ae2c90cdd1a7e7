"""The load test's world, built in its own throwaway database (run by tests/load/run.py).

People: owners (no global role) with open work across pilots; programme managers and
leadership who look at the portfolio. Pilots from the real default playbook, at different
days of their 90, so My work has overdue, due-soon and later items.
"""

import json
import sys
from datetime import timedelta

import django


def build(owners: int, leads: int, pilots: int, password: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from pilots import services
    from pilots.models import Deliverable
    from pilots.roles import Role
    from playbook.models import Playbook

    User = get_user_model()
    hashed = make_password(password)  # one real hash, shared: logins still pay for it
    playbook = Playbook.default()
    today = timezone.localdate()
    units = ["Operations", "Finance", "Retail banking", "Claims", "HR"]
    with transaction.atomic():
        pm_group = Group.objects.get_or_create(name=Role.PROGRAMME_MANAGER)[0]
        lead_group = Group.objects.get_or_create(name=Role.LEADERSHIP)[0]
        owner_users = [
            User(
                username=f"load-owner-{n:03d}",
                password=hashed,
                first_name="Owner",
                last_name=f"{n}",
            )
            for n in range(owners)
        ]
        lead_users = [
            User(
                username=f"load-lead-{n:03d}", password=hashed, first_name="Lead", last_name=f"{n}"
            )
            for n in range(leads)
        ]
        User.objects.bulk_create(owner_users + lead_users)
        owner_users = list(User.objects.filter(username__startswith="load-owner-").order_by("pk"))
        lead_users = list(User.objects.filter(username__startswith="load-lead-").order_by("pk"))
        for n, user in enumerate(lead_users):
            user.groups.add(pm_group if n % 2 == 0 else lead_group)
        managers = [u for n, u in enumerate(lead_users) if n % 2 == 0]
        for n in range(pilots):
            pilot = services.pilot_create(
                name=f"Load pilot {n:03d}",
                business_unit=units[n % len(units)],
                problem="A problem worth ninety days.",
                programme_manager=managers[n % len(managers)],
                kickoff_date=today - timedelta(days=(n * 7) % 80),
                playbook=playbook,
            )
            services.pilot_launch(pilot=pilot)
        # Deal the deliverables out: every owner gets work on several pilots.
        ids = list(
            Deliverable.objects.order_by("pilot_id", "due_date", "pk").values_list("pk", flat=True)
        )
        for index, pk in enumerate(ids):
            Deliverable.objects.filter(pk=pk).update(owner=owner_users[index % len(owner_users)])
    return {
        "owners": [u.username for u in owner_users],
        "leads": [u.username for u in lead_users],
        "password": password,
        "deliverables": len(ids),
    }


if __name__ == "__main__":
    django.setup()
    owners, leads, pilots, password, out = sys.argv[1:6]
    result = build(int(owners), int(leads), int(pilots), password)
    with open(out, "w") as handle:
        json.dump(result, handle)
    print(
        f"built {pilots} pilots, {result['deliverables']} deliverables, "
        f"{owners} owners, {leads} programme managers and leaders"
    )

"""`make run`'s data: the default playbook and a demo portfolio, loaded twice safely."""

from django.core.management import call_command
from django.utils import timezone

from pilots.models import Deliverable, Pilot
from pilots.roles import Role


def test_the_demo_portfolio_has_a_user_per_role_and_pilots_at_every_stage(db, capsys):
    call_command("load_playbooks", verbosity=0)
    call_command("load_demo")
    output = capsys.readouterr().out
    for username in ("pm", "owner", "lead", "reviewer", "admin"):
        assert username in output
    assert "ninety-demo" in output

    pilots = Pilot.objects.all()
    assert 10 <= pilots.count() <= 14
    statuses = {p.status for p in pilots}
    assert {Pilot.Status.ACTIVE, Pilot.Status.PAUSED, Pilot.Status.IN_PRODUCTION} <= statuses
    assert pilots.filter(status=Pilot.Status.PAUSED).count() == 1
    assert pilots.filter(status=Pilot.Status.IN_PRODUCTION).count() == 1
    today = timezone.localdate()
    late = {d.pilot_id for d in Deliverable.objects.overdue_on(today)}
    on_time = set(pilots.filter(status=Pilot.Status.ACTIVE).values_list("pk", flat=True)) - late
    assert late and on_time
    days = {p.day_number(today) for p in pilots.filter(status=Pilot.Status.ACTIVE)}
    assert min(days) < 30 and max(days) > 60
    assert Deliverable.objects.filter(owner__username="owner").open().exists()

    from django.contrib.auth import get_user_model

    User = get_user_model()
    assert User.objects.get(username="lead").groups.filter(name=Role.LEADERSHIP).exists()
    assert User.objects.get(username="admin").is_superuser

    call_command("load_demo")
    assert Pilot.objects.count() == pilots.count()


def test_demo_governance_signs_past_gates_only_where_the_work_is_done(db, capsys):
    from governance.models import Classification, GateSignature, Risk
    from pilots.models import PhaseRun

    call_command("load_playbooks", verbosity=0)
    call_command("load_obligations", verbosity=0)
    call_command("load_demo")
    call_command("load_demo_governance")
    signed = PhaseRun.objects.filter(state=PhaseRun.State.SIGNED_OFF)
    assert signed.exists() and GateSignature.objects.exists()
    for run in signed:
        assert not Deliverable.objects.filter(phase_run=run, mandatory=True).open().exists()
    finished = Pilot.objects.get(status=Pilot.Status.IN_PRODUCTION)
    assert finished.phase_runs.filter(state=PhaseRun.State.SIGNED_OFF).count() == 3
    assert Classification.objects.exists() and Risk.objects.exists()
    today = timezone.localdate()
    overdue_gate = PhaseRun.objects.filter(planned_end__lt=today).exclude(
        state=PhaseRun.State.SIGNED_OFF
    )
    assert overdue_gate.exists()  # late pilots keep an unsigned gate
    call_command("load_demo_governance")
    assert "already present" in capsys.readouterr().out

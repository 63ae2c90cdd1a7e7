"""The audit chain: every change recorded, append-only in the database, verifiable."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from governance import audit
from governance.models import AuditEvent
from pilots import services
from tests.conftest import build_pilot, needs_postgres


def test_pilot_changes_land_in_the_chain_with_actor_and_before_after(pm, playbook, owner):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False, actor=pm)
    # The intake is empty, so the launch needs the programme manager's written reason.
    services.pilot_launch(pilot=pilot, actor=pm, override_reason="Agreed at steering.")
    item = pilot.deliverables.first()
    services.deliverable_set_done(
        deliverable=item, actor=owner, done=True, expected_version=item.version
    )
    verbs = list(AuditEvent.objects.values_list("verb", flat=True))
    assert verbs == ["pilot.created", "pilot.launched", "decision.override", "deliverable.done"]
    done = AuditEvent.objects.get(verb="deliverable.done")
    assert done.actor == owner and done.pilot_id == pilot.pk
    assert done.before["status"] == "todo" and done.after["status"] == "done"
    assert audit.verify_chain() == (4, None)


def test_a_rolled_back_change_leaves_no_event(pm, playbook):
    with pytest.raises(RuntimeError), transaction.atomic():
        build_pilot(programme_manager=pm, playbook=playbook, launch=False, actor=pm)
        raise RuntimeError("abandon")
    assert not AuditEvent.objects.exists()


def test_the_database_refuses_update_and_delete(pm, playbook):
    needs_postgres()
    build_pilot(programme_manager=pm, playbook=playbook, launch=False, actor=pm)
    for sql in (
        "UPDATE governance_auditevent SET verb = 'forged'",
        "DELETE FROM governance_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.filter(verb="pilot.created").count() == 1


def test_verify_audit_names_the_first_event_changed_behind_its_back(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, actor=pm)
    services.pilot_update(pilot=pilot, actor=pm, name="Renamed")
    call_command("verify_audit")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE governance_auditevent SET after = %s WHERE seq = 2", ['{"status": "forged"}']
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
    with pytest.raises(CommandError, match="broken at event #2"):
        call_command("verify_audit")


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_appends_keep_one_chain(pm, playbook):
    needs_postgres()
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False, actor=pm)
    start = threading.Barrier(20)
    errors = []

    def write(n):
        try:
            start.wait()
            with transaction.atomic():
                audit.append(
                    actor=pm, verb="test.parallel", target=pilot, pilot=pilot, after={"n": n}
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(verb="test.parallel").count() == 20
    checked, broken = audit.verify_chain()
    assert broken is None and checked == AuditEvent.objects.count()


def test_the_nightly_check_mails_administrators_when_the_chain_breaks(
    pm, playbook, admin_user, mailoutbox
):
    from governance.audit import verify_audit_chain

    admin_user.email = "admin@example.com"
    admin_user.save(update_fields=["email"])
    build_pilot(programme_manager=pm, playbook=playbook, actor=pm)
    assert verify_audit_chain.delay().get() == "intact"
    assert mailoutbox == []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM governance_auditevent WHERE seq = 1")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
    assert verify_audit_chain.delay().get() == "broken at #1"
    assert mailoutbox[0].to == ["admin@example.com"]
    assert "event #1" in mailoutbox[0].subject


def sign_off_first_gate(pilot, pm, production_owner):
    """Sign the first gate off; its document records the chain head at closing."""
    from governance import gates
    from pilots.models import Deliverable

    run = pilot.phase_runs.select_related("phase", "pilot").get(number=1)
    for item in Deliverable.objects.filter(phase_run=run, mandatory=True).open():
        services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Plan holds")
    gates.gate_sign(
        phase_run=run, slot="production_owner", signer=production_owner, statement="We run it"
    )
    return run.documents.get()


def test_the_database_refuses_truncate(pm, playbook):
    needs_postgres()
    build_pilot(programme_manager=pm, playbook=playbook, launch=False, actor=pm)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE governance_auditevent")
    assert AuditEvent.objects.filter(verb="pilot.created").count() == 1


def test_verify_audit_finds_the_tail_of_the_chain_cut_off(pilot, pm, production_owner):
    needs_postgres()
    document = sign_off_first_gate(pilot, pm, production_owner)
    head = AuditEvent.objects.get(hash=document.audit_head)
    assert head.verb == "gate.closed"
    call_command("verify_audit")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM governance_auditevent WHERE seq >= %s", [head.seq])
        cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
    # What is left is a well-formed chain; only the document's recorded head shows the cut.
    expected = f"broken at event #{head.seq}: is missing: .* of {pilot.reference} phase 1"
    with pytest.raises(CommandError, match=expected):
        call_command("verify_audit")


def test_verify_audit_finds_a_rendering_cut_off_after_the_head(
    pilot, pm, production_owner, django_capture_on_commit_callbacks
):
    needs_postgres()
    with django_capture_on_commit_callbacks(execute=True):
        document = sign_off_first_gate(pilot, pm, production_owner)
    rendered = AuditEvent.objects.get(verb="document.rendered")
    assert audit.verify_chain()[1] is None
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM governance_auditevent WHERE seq >= %s", [rendered.seq])
        cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
    checked, broken = audit.verify_chain()
    assert broken.seq == rendered.seq and "rendering is no longer in the chain" in broken.problem
    assert document.audit_head  # the head itself is still there


def test_an_empty_chain_with_sign_off_documents_is_broken(pilot, pm, production_owner):
    needs_postgres()
    sign_off_first_gate(pilot, pm, production_owner)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        cursor.execute("TRUNCATE governance_auditevent")
        cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
    assert audit.verify_chain() == (
        0,
        audit.Break(
            1, "is missing: the chain is empty, yet 1 sign-off document was filed against it"
        ),
    )
    with pytest.raises(CommandError, match="broken at event #1"):
        call_command("verify_audit")


def test_playbook_changes_stand_in_the_chain_without_a_pilot(playbook, pm):
    from playbook import services as playbook_services

    draft = playbook_services.playbook_clone(source=playbook, actor=pm)
    playbook_services.playbook_publish(playbook=draft, actor=pm, make_default=False)
    events = list(AuditEvent.objects.filter(verb__startswith="playbook.").order_by("seq"))
    assert [(e.verb, e.pilot_id, e.actor_id) for e in events] == [
        ("playbook.cloned", None, pm.pk),
        ("playbook.published", None, pm.pk),
    ]
    assert audit.verify_chain()[1] is None

"""Value: readings of the success metric, the gap to target, the chart and the business
case with its payback."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from governance.models import AuditEvent
from pilots import value
from pilots.models import KpiReading, Pilot
from tests.conftest import KICKOFF
from tests.lifecycle_builders import complete_intake

TODAY = KICKOFF + timedelta(days=40)  # a Saturday in week 6


@pytest.fixture
def measured(pilot):
    """The pilot with its intake answered: minutes to route a claim, 14 → 9 by 30 Sep,
    € 120,000 a year to run against € 240,000 a year of benefit."""
    return complete_intake(pilot)


def reading(pilot, days_after_kickoff: int, value_: str, **extra) -> KpiReading:
    return KpiReading.objects.create(
        pilot=pilot,
        taken_on=KICKOFF + timedelta(days=days_after_kickoff),
        value=Decimal(value_),
        **extra,
    )


# --- the gap to target --------------------------------------------------------------------


@pytest.mark.parametrize(
    "baseline, target, latest, remaining, reached, progress",
    [
        ("14", "9", "11", "2", False, 60),  # lower is better
        ("14", "9", "8.5", "0", True, 110),
        ("35", "80", "47", "33", False, 27),  # higher is better
        ("35", "80", "80", "0", True, 100),
        ("35", "80", "30", "50", False, -11),  # worse than the baseline
        (None, "80", "47", "33", False, None),  # no baseline: upwards, no progress
    ],
)
def test_the_gap_to_target_follows_the_direction_from_baseline_to_target(
    baseline, target, latest, remaining, reached, progress
):
    gap = value.gap_to_target(
        baseline=Decimal(baseline) if baseline else None,
        target=Decimal(target),
        latest=Decimal(latest),
    )
    assert (gap.remaining, gap.reached, gap.progress) == (Decimal(remaining), reached, progress)


def test_no_gap_without_a_target_or_a_reading():
    assert value.gap_to_target(baseline=Decimal(1), target=None, latest=Decimal(2)) is None
    assert value.gap_to_target(baseline=Decimal(1), target=Decimal(3), latest=None) is None


# --- the business case --------------------------------------------------------------------


def test_payback_is_the_months_of_benefit_that_pay_for_a_year_of_running():
    assert value.payback_months(Decimal("120000"), Decimal("240000")) == Decimal("6.0")
    assert value.payback_months(Decimal("100000"), Decimal("30000")) == Decimal("40.0")
    assert value.payback_months(Decimal("1000"), Decimal("0")) is None
    assert value.payback_months(None, Decimal("10")) is None


def test_the_measured_benefit_follows_the_way_travelled_to_the_target():
    gap = value.gap_to_target(baseline=Decimal(14), target=Decimal(9), latest=Decimal("11.5"))
    case = value.business_case(
        running_cost=Decimal("120000"), expected_benefit=Decimal("240000"), gap=gap
    )
    assert gap.progress == 50
    assert case.measured_benefit == Decimal("120000")
    assert (case.expected_payback, case.measured_payback) == (Decimal("6.0"), Decimal("12.0"))
    assert (case.expected_net, case.measured_net) == (Decimal("120000"), Decimal("0"))


def test_a_reading_worse_than_the_baseline_measures_no_benefit():
    gap = value.gap_to_target(baseline=Decimal(14), target=Decimal(9), latest=Decimal(15))
    case = value.business_case(
        running_cost=Decimal("1000"), expected_benefit=Decimal("5000"), gap=gap
    )
    assert case.measured_benefit == 0 and case.measured_payback is None


@time_machine.travel(TODAY, tick=False)
def test_the_value_tab_shows_the_business_case(client, pm, measured):
    reading(measured, 30, "11.5")
    client.force_login(pm)
    response = client.get(reverse("pilot-value", args=[measured.pk]))
    case = response.context["case"]
    assert (case.running_cost, case.expected_benefit, case.measured_benefit) == (
        Decimal("120000"),
        Decimal("240000"),
        Decimal("120000"),
    )
    body = response.content.decode()
    assert "pays back in 6 months" in body and "pays back in 12 months" in body
    assert "€ 120,000" in body and "€ 240,000" in body


# --- the chart ----------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_chart_shows_baseline_target_and_the_last_reading_of_each_week(measured):
    readings = [
        reading(measured, 2, "13.5"),
        reading(measured, 4, "13"),
        reading(measured, 23, "11"),
    ]
    chart = value.kpi_chart(measured, readings, TODAY)
    assert [s.label for s in chart.series] == ["Baseline", "Target", "Readings"]
    assert [s.last_value for s in chart.series] == ["14", "9", "11"]
    # Weeks from the kickoff's Monday to the target date's (30 Sep): 31 of them.
    assert chart.x_ticks[0][1] == "2 Mar"
    readings_line = chart.series[2].points.split()
    assert len(readings_line) == 2  # weeks 1 and 4: 13 (the later reading of week 1), 11
    baseline_y = chart.series[0].last_y
    target_y = chart.series[1].last_y
    assert target_y > baseline_y  # 9 is drawn below 14
    assert chart.y_ticks[-1][1] == "20" and chart.y_ticks[0][1] == "0"
    assert chart.today_x is not None
    assert "Readings: 11" in chart.description


def test_no_chart_without_anything_to_draw(pilot):
    assert value.kpi_chart(pilot, [], TODAY) is None


def test_a_negative_value_gets_no_chart_but_its_readings(measured):
    readings = [reading(measured, 3, "-2")]
    assert value.kpi_chart(measured, readings, TODAY) is None


# --- recording readings -------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("who", ["pm", "production_owner", "sponsor"])
def test_the_team_records_readings(client, measured, who, request):
    person = request.getfixturevalue(who)
    client.force_login(person)
    response = client.post(
        reverse("pilot-reading-add", args=[measured.pk]),
        {"taken_on": "2026-04-10", "value": "10.5", "note": "<b>after</b> the canary"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="value-panel">')
    assert "&lt;b&gt;after&lt;/b&gt;" in body and "Reading recorded." in body
    saved = KpiReading.objects.get()
    assert (saved.value, saved.recorded_by) == (Decimal("10.5"), person)
    event = AuditEvent.objects.get(verb="kpi.recorded")
    assert event.after["value"] == "10.5" and event.actor_id == person.pk


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    "data",
    [
        {"taken_on": "2026-04-13", "value": "10"},  # tomorrow
        {"taken_on": "2026-02-30", "value": "10"},
        {"taken_on": "0001-01-01", "value": "10"},
        {"taken_on": "2026-04-10", "value": "ten"},
        {"taken_on": "2026-04-10", "value": "1" * 20},
        {"taken_on": "2026-04-10", "value": "NaN"},
        {"taken_on": "2026-04-10", "value": "10", "note": "x" * 10_000},
        {"taken_on": "2026-04-10", "value": "10", "note": "nul\x00"},
    ],
)
def test_bad_readings_are_form_errors_and_save_nothing(client, pm, measured, data):
    client.force_login(pm)
    url = reverse("pilot-reading-add", args=[measured.pk])
    assert client.post(url, data).status_code == 400
    assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 422
    assert not KpiReading.objects.exists()


def test_readings_wait_for_a_named_metric(client, pm, pilot):
    client.force_login(pm)
    url = reverse("pilot-reading-add", args=[pilot.pk])
    response = client.post(url, {"taken_on": "2026-03-10", "value": "3"})
    assert response.status_code == 400 and not KpiReading.objects.exists()
    assert "No success metric yet" in response.content.decode()


def test_a_reading_is_removed_by_whoever_recorded_it_or_the_programme_manager(
    client, pm, sponsor, production_owner, measured
):
    mine = reading(measured, 3, "12", recorded_by=production_owner)
    client.force_login(sponsor)
    url = reverse("pilot-reading-remove", args=[measured.pk, mine.pk])
    assert client.post(url).status_code == 403
    client.force_login(production_owner)
    assert client.post(url).status_code == 302
    assert not KpiReading.objects.exists()
    assert AuditEvent.objects.get(verb="kpi.removed").before["value"] == "12.00"
    again = reading(measured, 4, "12", recorded_by=production_owner)
    client.force_login(pm)
    url = reverse("pilot-reading-remove", args=[measured.pk, again.pk])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(url).status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_the_pilot_header_shows_the_latest_reading_and_the_gap(client, owner, measured):
    reading(measured, 10, "12")
    reading(measured, 30, "11")
    client.force_login(owner)
    body = client.get(reverse("pilot-detail", args=[measured.pk])).content.decode()
    assert "Minutes to route a claim" in body
    assert "<strong>11 <bdi>min</bdi></strong>" in body and "2 to go to the target of 9" in body


# --- reads --------------------------------------------------------------------------------

# Session, user, groups, the pilot (with its intake and latest reading), readings with
# who recorded them, the cost total, the Governance tab's stop flag, bell.
VALUE_PAGE_QUERIES = 8


@time_machine.travel(TODAY, tick=False)
def test_the_value_tab_reads_a_fixed_number_of_queries(
    client, pm, production_owner, measured, django_assert_num_queries
):
    client.force_login(pm)
    url = reverse("pilot-value", args=[measured.pk])
    for days in (1, 8, 15, 22):
        reading(measured, days, str(14 - days / 10), recorded_by=production_owner)
        with django_assert_num_queries(VALUE_PAGE_QUERIES):
            assert client.get(url).status_code == 200


def test_a_reader_sees_no_reading_form(client, leader, measured):
    client.force_login(leader)
    response = client.get(reverse("pilot-value", args=[measured.pk]))
    assert response.status_code == 200 and not response.context["can_record"]
    assert "Record reading" not in response.content.decode()
    assert Pilot.objects.get(pk=measured.pk).success_target == Decimal(9)
    assert date(2026, 9, 30) == measured.success_target_date

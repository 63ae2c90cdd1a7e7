"""Before and after the 90 days: intake, triage and decisions, value, rollout and go-live.
Added to pilots.urls."""

from django.urls import path

from pilots.views import decisions, intake, rollout, value

urlpatterns = [
    path("pilots/<int:pk>/intake/", intake.intake_page, name="pilot-intake"),
    path("pilots/<int:pk>/intake/costs/", intake.cost_line_add, name="pilot-cost-add"),
    path(
        "pilots/<int:pk>/intake/costs/<int:line_pk>/remove/",
        intake.cost_line_remove,
        name="pilot-cost-remove",
    ),
    path("triage/", decisions.triage_list, name="triage"),
    path("pilots/<int:pk>/triage/", decisions.triage_decide, name="pilot-triage"),
    path("pilots/<int:pk>/decisions/", decisions.pilot_decisions, name="pilot-decisions"),
    path("pilots/<int:pk>/value/", value.value_page, name="pilot-value"),
    path("pilots/<int:pk>/value/readings/", value.reading_add, name="pilot-reading-add"),
    path(
        "pilots/<int:pk>/value/readings/<int:reading_pk>/remove/",
        value.reading_remove,
        name="pilot-reading-remove",
    ),
    path("pilots/<int:pk>/rollout/", rollout.rollout_page, name="pilot-rollout"),
    path(
        "pilots/<int:pk>/rollout/defaults/", rollout.rollout_defaults, name="pilot-rollout-defaults"
    ),
    path("pilots/<int:pk>/rollout/steps/", rollout.step_add, name="pilot-rollout-add"),
    path(
        "pilots/<int:pk>/rollout/steps/<int:step_pk>/edit/",
        rollout.step_edit,
        name="pilot-rollout-edit",
    ),
    path(
        "pilots/<int:pk>/rollout/steps/<int:step_pk>/decide/",
        rollout.step_decide,
        name="pilot-rollout-decide",
    ),
    path(
        "pilots/<int:pk>/rollout/steps/<int:step_pk>/remove/",
        rollout.step_remove,
        name="pilot-rollout-remove",
    ),
    path("pilots/<int:pk>/go-live/", rollout.go_live, name="pilot-go-live"),
    path(
        "pilots/<int:pk>/operation/review/",
        rollout.operation_review,
        name="pilot-operation-review",
    ),
]

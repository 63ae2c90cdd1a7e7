from django.urls import path

from pilots import urls_lifecycle
from pilots.views import deliverables, evidence, my_work, notifications, pilots, portfolio

urlpatterns = [
    path("", pilots.home, name="home"),
    path("pilots/", pilots.pilot_list, name="pilot-list"),
    path("pilots/new/", pilots.pilot_create, name="pilot-create"),
    path("pilots/<int:pk>/", pilots.pilot_detail, name="pilot-detail"),
    path("pilots/<int:pk>/edit/", pilots.pilot_edit, name="pilot-edit"),
    path("pilots/<int:pk>/launch/", pilots.pilot_launch, name="pilot-launch"),
    path("pilots/<int:pk>/deliverables/new/", deliverables.deliverable_add, name="deliverable-add"),
    path(
        "pilots/<int:pk>/deliverables/assign/",
        deliverables.deliverables_assign,
        name="deliverables-assign",
    ),
    path(
        "pilots/<int:pk>/deliverables/<int:deliverable_pk>/tick/",
        deliverables.deliverable_tick,
        name="deliverable-tick",
    ),
    path(
        "pilots/<int:pk>/deliverables/<int:deliverable_pk>/untick/",
        deliverables.deliverable_untick,
        name="deliverable-untick",
    ),
    path(
        "pilots/<int:pk>/deliverables/<int:deliverable_pk>/edit/",
        deliverables.deliverable_edit,
        name="deliverable-edit",
    ),
    path(
        "pilots/<int:pk>/deliverables/<int:deliverable_pk>/waive/",
        deliverables.deliverable_waive,
        name="deliverable-waive",
    ),
    path(
        "pilots/<int:pk>/deliverables/<int:deliverable_pk>/reopen/",
        deliverables.deliverable_reopen,
        name="deliverable-reopen",
    ),
    path(
        "deliverables/<int:deliverable_pk>/evidence/",
        deliverables.deliverable_evidence,
        name="deliverable-evidence",
    ),
    path(
        "pilots/<int:pk>/evidence/<int:evidence_pk>/",
        evidence.evidence_download,
        name="evidence-download",
    ),
    path("portfolio/", portfolio.portfolio_page, name="portfolio"),
    path("portfolio/trend.svg", portfolio.portfolio_trend, name="portfolio-trend"),
    path("portfolio/export.csv", portfolio.portfolio_csv, name="portfolio-csv"),
    path("portfolio/export.xlsx", portfolio.portfolio_xlsx, name="portfolio-xlsx"),
    path("portfolio/reports/", portfolio.report_create, name="portfolio-report-create"),
    path("portfolio/reports/<int:pk>/", portfolio.report_detail, name="portfolio-report"),
    path(
        "portfolio/reports/<int:pk>/download/",
        portfolio.report_download,
        name="portfolio-report-download",
    ),
    path(
        "portfolio/reports/<int:pk>/retry/", portfolio.report_retry, name="portfolio-report-retry"
    ),
    path("my-work/", my_work.my_work, name="my-work"),
    path("my-work/<int:deliverable_pk>/tick/", my_work.my_work_tick, name="my-work-tick"),
    path("my-work/<int:deliverable_pk>/untick/", my_work.my_work_untick, name="my-work-untick"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification-read"),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications-read-all",
    ),
    path(
        "notifications/settings/", notifications.notification_settings, name="notification-settings"
    ),
    path(
        "notifications/calendar/new/",
        notifications.calendar_feed_create,
        name="calendar-feed-create",
    ),
    path(
        "notifications/calendar/revoke/",
        notifications.calendar_feed_revoke,
        name="calendar-feed-revoke",
    ),
    path("calendar/<str:token>.ics", notifications.calendar_feed, name="calendar-feed"),
]

# Intake, triage, value, rollout and go-live.
urlpatterns += urls_lifecycle.urlpatterns

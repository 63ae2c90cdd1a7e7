from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import health
from config.accounts import views as accounts_views

admin.site.site_header = "Ninety administration"
admin.site.site_title = "Ninety admin"

urlpatterns = [
    # Also answered by config.middleware.HealthCheckMiddleware, before the host check.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        accounts_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("pilots.urls")),
    path("", include("governance.urls")),
    path("playbooks/", include("playbook.urls")),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import api, health
from config.accounts import token_views
from config.accounts import views as accounts_views
from pilots import language

admin.site.site_header = "Ninety administration"
admin.site.site_title = "Ninety admin"

urlpatterns = [
    # Also answered by config.middleware.HealthCheckMiddleware, before the host check.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        accounts_views.password_login_only(accounts_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        accounts_views.password_login_only(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        accounts_views.password_login_only(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        accounts_views.password_login_only(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("accounts/sso/", accounts_views.sso_login, name="sso-login"),
    path("accounts/sso/callback/", accounts_views.sso_callback, name="sso-callback"),
    # Before the admin's own: with single sign-on on, its login is Ninety's login page.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
    path("account/tokens/", token_views.token_list, name="account-tokens"),
    path(
        "account/tokens/<int:token_pk>/revoke/",
        token_views.token_revoke,
        name="account-token-revoke",
    ),
    path("api/v1/", api.urls()),
    path("language/", language.language_set, name="language-set"),
    path("", include("pilots.urls")),
    path("", include("governance.urls")),
    path("playbooks/", include("playbook.urls")),
]

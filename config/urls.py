from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Ninety administration"
admin.site.site_title = "Ninety admin"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("pilots.urls")),
    path("", include("governance.urls")),
    path("playbooks/", include("playbook.urls")),
]

"""URL wiring only; each app owns its views."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from api.api import api
from org import views as org_views
from soglasie.health import healthz

admin.site.site_header = "Soglasie"
admin.site.site_title = "Soglasie"

urlpatterns = [
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", org_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("work.urls")),
    path("", include("files.urls")),
    path("", include("discussion.urls")),
    path("", include("crm.urls")),
    path("", include("tasks.urls")),
    path("", include("notify.urls")),
    path("", include("analytics.urls")),
    path("", include("org.urls")),
    # The admin's own log-in page knows nothing of the lock-outs (org.auth): send people to ours.
    path("admin/login/", login_not_required(RedirectView.as_view(pattern_name="login", query_string=True))),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

from django.contrib import admin
from django.urls import include, path

from jiesu.accounts.views import PasswordChangeView
from jiesu.api import api
from jiesu.core.views import LogoutView

urlpatterns = [
    path("admin/logout/", LogoutView.as_view()),  # the admin's logout ends the drafts too (core.drafts)
    path("admin/password_change/", admin.site.admin_view(PasswordChangeView.as_view())),  # the site's, recorded
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jiesu.core.urls")),
    path("", include("jiesu.accounts.urls")),
    path("", include("jiesu.tickets.urls")),
    path("", include("jiesu.whistles.urls")),
    path("", include("jiesu.grids.urls")),
    path("", include("jiesu.hotspots.urls")),
    path("", include("jiesu.topics.urls")),
    path("", include("jiesu.quality.urls")),
    path("", include("jiesu.dispatch.urls")),
    path("", include("jiesu.kpi.urls")),
    path("", include("jiesu.dashboards.urls")),
    path("", include("jiesu.warnings.urls")),
]

from django.urls import path, re_path

from jiesu.kpi import views

urlpatterns = [
    path("kpi/", views.rankings, name="kpi_rankings"),
    re_path(r"^kpi/export\.(?P<fmt>csv|xlsx)$", views.export_ranking, name="kpi_export"),
    path("kpi/report/", views.monthly_report, name="kpi_report"),
    path("kpi/publish/", views.publish, name="kpi_publish"),
    path("kpi/units/<int:pk>/", views.unit_page, name="kpi_unit"),
]

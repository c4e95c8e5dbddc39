from django.urls import path

from jiesu.dashboards import views

urlpatterns = [
    path("dashboards/", views.home, name="dashboard_home"),
    path("dashboards/units/<str:code>/", views.unit_page, name="dashboard_unit"),
    path("dashboards/geo/<slug:level>.json", views.geojson, name="dashboard_geo"),
]

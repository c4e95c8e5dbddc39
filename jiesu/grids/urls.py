from django.urls import path

from jiesu.grids import views

urlpatterns = [
    path("grids/", views.grid_home, name="grid_home"),
    path("grids/patrol/", views.patrol, name="grid_patrol"),
    path("grids/patrol/start/", views.patrol_start, name="grid_patrol_start"),
    path("grids/patrol/<int:pk>/stop/", views.patrol_stop, name="grid_patrol_stop"),
    path("grids/patrol/<int:pk>/points/", views.patrol_points, name="grid_patrol_points"),
    path("grids/patrol/report/", views.report, name="grid_report"),
    path("grids/reports/", views.reports, name="grid_reports"),
    path("grids/map/", views.street_map, name="grid_map"),
    path("grids/assessment/", views.assessment_page, name="grid_assessment"),
    path("grids/duties/", views.duties, name="grid_duties"),
    path("grids/import/", views.import_page, name="grid_import"),
    path("grids/export/", views.export, name="grid_export"),
    path("grids/tickets/<int:pk>/", views.ticket_ladder, name="grid_ticket"),
    path("grids/tickets/<int:pk>/<slug:action>/", views.ticket_act, name="grid_ticket_act"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
]

from django.urls import path

from jiesu.hotspots import views

urlpatterns = [
    path("hotspots/", views.board, name="hotspot_board"),
    path("hotspots/run/", views.run_now, name="hotspot_run"),
    path("hotspots/<int:pk>/", views.detail, name="hotspot_detail"),
]

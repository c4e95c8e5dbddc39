from django.urls import path

from jiesu.warnings import views

urlpatterns = [
    path("warnings/", views.board, name="warning_board"),
    path("warnings/alerts/<int:pk>/acknowledge/", views.acknowledge, name="warning_acknowledge"),
]

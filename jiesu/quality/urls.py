from django.urls import path

from jiesu.quality import views

urlpatterns = [
    path("quality/", views.board, name="quality_board"),
    path("quality/flags/<int:pk>/dismiss/", views.dismiss_flag, name="quality_dismiss_flag"),
    path("quality/flags/<int:pk>/appeal/", views.appeal_flag, name="quality_appeal_flag"),
    path("quality/flags/<int:pk>/appeal/decision/", views.decide_appeal, name="quality_decide_appeal"),
    path("quality/check/<int:pk>/", views.check_reply, name="quality_check_reply"),
]

from django.urls import path

from jiesu.whistles import views

urlpatterns = [
    path("whistles/", views.board, name="whistle_board"),
    path("whistles/new/", views.new, name="whistle_new"),
    path("whistles/summoned/", views.inbox, name="whistle_inbox"),
    path("whistles/stats/", views.statistics, name="whistle_stats"),
    path("whistles/<int:pk>/", views.detail, name="whistle_detail"),
    path("whistles/<int:pk>/act/<slug:action>/", views.act, name="whistle_act"),
    path("whistles/<int:pk>/evidence/<int:evidence_id>/", views.evidence, name="whistle_evidence"),
    path("whistles/<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="whistle_attachment"),
]

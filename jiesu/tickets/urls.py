from django.urls import path

from jiesu.tickets import emergency_views, notice_views, views, work_views

urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("dispatch/", views.dispatch_queue, name="dispatch_queue"),
    path("dispatch/emergencies/", emergency_views.poll, name="dispatch_emergencies"),
    path("arbitration/", views.arbitration_queue, name="arbitration_queue"),
    path("work/", work_views.worklist, name="worklist"),
    path("work/sign/", work_views.batch_sign, name="worklist_sign"),
    path("notices/", notice_views.notice_list, name="notice_list"),
    path("notices/<int:pk>/read/", notice_views.notice_read, name="notice_read"),
    path("callbacks/", views.callback_queue, name="callback_queue"),
    path("tickets/", views.ticket_search, name="ticket_search"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/act/<slug:action>/", views.act, name="ticket_act"),
    path("tickets/<int:pk>/reveal/", views.reveal_contact, name="ticket_reveal"),
    path("tickets/<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="ticket_attachment"),
    path("my/", views.my_tickets, name="my_tickets"),
    path("track/", views.track, name="track"),
]

"""The dispatch app's pages, mounted at the site root (jiesu/urls.py: `path("", include("jiesu.dispatch.urls"))`)."""
from django.urls import path

from jiesu.dispatch import duplicate_views, model_views, views

urlpatterns = [
    path("dispatch/desk/<int:pk>/suggestions/", views.suggestions, name="desk_suggestions"),
    path("dispatch/desk/<int:pk>/accept/", views.accept, name="desk_accept"),
    path("dispatch/accuracy/", views.accuracy, name="dispatch_accuracy"),
    path("dispatch/accuracy/recount/", views.recount, name="dispatch_accuracy_recount"),
    path("dispatch/rules/<int:pk>/resume/", views.resume_rule, name="dispatch_rule_resume"),
    path("dispatch/rules/paused/seen/", views.acknowledge_pauses, name="dispatch_rules_paused_seen"),
    path("dispatch/model/rollback/", model_views.rollback, name="dispatch_model_rollback"),
    path("dispatch/model/retrain/", model_views.retrain, name="dispatch_model_retrain"),
    path("intake-check/", duplicate_views.intake_check, name="duplicates_check"),
    path("intake-check/ticket/<int:pk>/", duplicate_views.ticket_check, name="duplicates_ticket"),
]

"""The duplicate panels' URLs; mounted at the site root (`path("", include("jiesu.dispatch.duplicate_urls"))`)."""
from django.urls import path

from jiesu.dispatch import duplicate_views

urlpatterns = [
    path("intake-check/", duplicate_views.intake_check, name="duplicates_check"),
    path("intake-check/ticket/<int:pk>/", duplicate_views.ticket_check, name="duplicates_ticket"),
]

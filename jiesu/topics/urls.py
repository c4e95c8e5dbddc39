from django.urls import path

from jiesu.topics import views

urlpatterns = [
    path("topics/", views.year_list, name="topic_year"),
    path("topics/new/", views.new, name="topic_new"),
    path("topics/<int:pk>/", views.detail, name="topic_detail"),
    path("topics/<int:pk>/act/<slug:action>/", views.act, name="topic_act"),
]

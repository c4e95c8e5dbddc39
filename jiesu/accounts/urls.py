from django.urls import path

from jiesu.accounts import views

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]

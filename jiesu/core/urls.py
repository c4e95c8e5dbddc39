from django.urls import path

from jiesu.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("pick/units/", views.pick_units, name="pick_units"),
    path("pick/categories/", views.pick_categories, name="pick_categories"),
]

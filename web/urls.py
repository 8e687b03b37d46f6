"""The front end's pages: the app at ``/`` and its views, sign-in and sign-out, the language switch."""

from django.contrib.auth import views as auth
from django.urls import path
from django.views.i18n import set_language

from web import stats, views

urlpatterns = [
    path("", views.app, name="app"),
    path("inspector", views.app, name="inspector"),
    path("dashboard", views.app, name="dashboard"),
    path("planner", views.app, name="planner"),
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("app/stats", stats.stats, name="stats"),
]

"""URLs of positioning (mounted at /positioning/); every path also answers with a trailing slash."""

from django.urls import re_path

from acquisition.positioning import views

app_name = "positioning"

urlpatterns = [
    re_path(r"^positions/?$", views.push, name="positions"),
    re_path(r"^people/?$", views.people_inside, name="people"),
    re_path(r"^roll-call/?$", views.roll_call, name="roll-call"),
    re_path(r"^muster/?$", views.muster, name="muster"),
    re_path(r"^track/?$", views.track, name="track"),
]

"""The hierarchy's endpoint: a child centre's live readings of a hazard source, on demand."""

from django.urls import path

from hierarchy import views

urlpatterns = [
    path("app/hazard-sources/<int:pk>/live", views.live, name="hazard-source-live"),
]

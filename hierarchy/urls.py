"""The hierarchy's endpoints: a child centre's live readings of a hazard source, on demand; the centres' summaries."""

from django.urls import path

from hierarchy import views

urlpatterns = [
    path("app/hazard-sources/<int:pk>/live", views.live, name="hazard-source-live"),
    path("app/hierarchy/summaries", views.summaries, name="hierarchy-summaries"),
    path("app/hierarchy/summaries/<str:centre>", views.summary_history, name="hierarchy-summary-history"),
]

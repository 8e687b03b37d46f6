"""Root URLs: the admin (registry with map widgets), health check, OGC API, tiles, and the map front end."""

from django.contrib import admin
from django.urls import include, path

from hazmap import views
from layers import views as ogc_views

admin.site.site_header = "hazmap"
admin.site.site_title = "hazmap"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("tiles/", include("tiles.urls")),
    path("ogc", ogc_views.landing),  # the landing page without the slash too: QGIS 3.22 follows no redirect
    path("ogc/", include("tiles.urls_ogc")),  # OGC API – Tiles, before pygeoapi's routes
    path("ogc/", include("layers.urls")),
    path("positioning/", include("acquisition.positioning.urls")),  # positions in, emergency head-counts
    path("", include("hierarchy.urls")),  # a child centre's live readings, on demand
    path("", include("web.urls")),  # the map front end at /, sign-in at /login/
]

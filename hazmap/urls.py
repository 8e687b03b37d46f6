"""Root URLs: the admin (registry with map widgets), health check, OGC API, tiles, and the site root."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from hazmap import views

admin.site.site_header = "hazmap"
admin.site.site_title = "hazmap"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("tiles/", include("tiles.urls")),
    path("ogc/", include("tiles.urls_ogc")),  # OGC API – Tiles, before pygeoapi's routes
    path("ogc/", include("layers.urls")),
]

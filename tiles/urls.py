"""URLs of the vector tiles (mounted at /tiles/); anything else under /tiles/ is a JSON 404."""

from django.urls import path, re_path

from tiles import views

app_name = "tiles"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:tileset_id>.json", views.tilejson, name="tilejson"),
    path("<str:tileset_id>/<str:z>/<str:x>/<str:y>.mvt", views.tile, name="tile"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]

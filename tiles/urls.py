"""URLs of the vector tiles and of site plans' raster tiles (mounted at /tiles/); anything else is a JSON 404."""

from django.urls import path, re_path

from tiles import plans, views

app_name = "tiles"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/<str:plan_id>.json", plans.tilejson, name="plan-tilejson"),
    path("plans/<str:plan_id>/<str:z>/<str:x>/<str:y>.png", plans.tile, name="plan-tile"),
    path("<str:tileset_id>.json", views.tilejson, name="tilejson"),
    path("<str:tileset_id>/<str:z>/<str:x>/<str:y>.mvt", views.tile, name="tile"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]

"""URLs of the vector tiles (mounted at /tiles/)."""

urlpatterns: list = []

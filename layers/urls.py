"""URLs of the OGC API (mounted at /ogc/)."""

urlpatterns: list = []

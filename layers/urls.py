"""URLs of the OGC API (mounted at /ogc/): Features, Processes and the live event stream.

Every path also answers with a trailing slash, since clients build URLs both ways.
"""

from pathlib import Path

import pygeoapi
from django.urls import re_path
from django.views.static import serve

from layers import stream, views

app_name = "layers"

COLLECTION = r"collections/(?P<collection_id>[^/]+)"

urlpatterns = [
    re_path(r"^$", views.landing, name="landing"),
    re_path(r"^conformance/?$", views.conformance, name="conformance"),
    re_path(r"^openapi/?$", views.openapi, name="openapi"),
    re_path(r"^api/?$", views.openapi, name="api"),
    re_path(r"^collections/?$", views.collections, name="collections"),
    re_path(rf"^{COLLECTION}/?$", views.collection, name="collection"),
    re_path(rf"^{COLLECTION}/queryables/?$", views.queryables, name="queryables"),
    re_path(rf"^{COLLECTION}/schema/?$", views.schema, name="schema"),
    re_path(rf"^{COLLECTION}/items/?$", views.items, name="items"),
    re_path(rf"^{COLLECTION}/items/(?P<item_id>[^/]+)/?$", views.item, name="item"),
    re_path(r"^processes/?$", views.processes, name="processes"),
    re_path(r"^processes/(?P<process_id>[^/]+)/?$", views.processes, name="process"),
    re_path(r"^processes/(?P<process_id>[^/]+)/execution/?$", views.execution, name="execution"),
    re_path(r"^jobs/?$", views.jobs, name="jobs"),
    re_path(r"^jobs/(?P<job_id>[^/]+)/?$", views.jobs, name="job"),
    re_path(r"^events/?$", stream.events, name="events"),
    # the stylesheet and images of pygeoapi's HTML pages (three small files)
    re_path(r"^static/(?P<path>.+)$", serve, {"document_root": Path(pygeoapi.__file__).parent / "static"}),
]

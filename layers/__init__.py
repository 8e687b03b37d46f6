"""OGC API for every feature: the collection registry, pygeoapi mounted in Django, the event stream."""

"""Personnel positioning: tag positions in (MQTT, HTTP push), fence rules, alarms, emergency head-counts.

- ``messages``: the JSON a positioning engine sends, read into ``Fix`` records;
- ``rules`` and ``crowd``: the fence rules of one site, plain Python with shapely and NumPy;
- ``sites``: a site's rules built from the database (fences, ``acquisition.models.FenceRule``, tags);
- ``ingest``: positions into ``geo`` (track, last position, alarms, events) through one ``Positioning``;
- ``mqtt`` and ``views``: the MQTT listener and the HTTP endpoints.
"""

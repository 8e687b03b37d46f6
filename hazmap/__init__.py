"""hazmap: the Django project (settings, URLs, ASGI app, the ``hazmap`` command)."""

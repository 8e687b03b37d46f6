"""Storage settings for PostGIS that Django does not express.

geo_sensor rows are rewritten on every live value; leaving 70 % of each page free lets PostgreSQL
update them in place (HOT updates), without touching the spatial and other indexes.
"""

from django.db import migrations


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE geo_sensor SET (fillfactor = 30)")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE geo_sensor RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_reading")]

    operations = [migrations.RunPython(tune, untune)]

"""Reading history: a plain table on SpatiaLite, a table partitioned by day on PostGIS."""

import django.db.models.deletion
from django.db import migrations, models

from geo.partitions import POSTGIS_CREATE, TABLE


def create_reading_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGIS_CREATE)
    else:
        schema_editor.create_model(apps.get_model("geo", "Reading"))


def drop_reading_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Reading",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("time", models.DateTimeField(verbose_name="time")),
                        ("value", models.FloatField(blank=True, null=True, verbose_name="value")),
                        ("quality", models.PositiveSmallIntegerField(
                            choices=[(0, "good"), (1, "uncertain"), (2, "bad")], default=0, verbose_name="quality")),
                        ("sensor", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                                     related_name="readings", to="geo.sensor")),
                    ],
                    options={
                        "verbose_name": "reading",
                        "verbose_name_plural": "readings",
                        "constraints": [
                            models.UniqueConstraint(fields=("sensor", "time"), name="geo_reading_sensor_time")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_reading_table, drop_reading_table),
    ]

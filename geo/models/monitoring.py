"""Monitoring: sensors with their live value, reading history and alarms."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.regions import Region
from geo.models.registry import Enterprise, Equipment, HazardSource, Substance
from geo.validators import (
    SENSOR_UNITS,
    validate_geometry,
    validate_sensor_unit,
    validate_thresholds,
    validate_within_range,
)


class Quality(models.IntegerChoices):
    """Quality of a value, as the severity bits of an OPC UA status code."""

    GOOD = 0, _("good")
    UNCERTAIN = 1, _("uncertain")
    BAD = 2, _("bad")


class Sensor(ValidatedModel):
    """A measuring point: its place, unit, alarm thresholds and latest value.

    Values and thresholds are in the sensor's ``unit``. The live fields (``value``,
    ``value_time``, ``quality``, ``alarm_state``) are written by acquisition's ingest.
    """

    class Kind(models.TextChoices):
        LEVEL = "level", _("liquid level")
        TEMPERATURE = "temperature", _("temperature")
        PRESSURE = "pressure", _("pressure")
        FLOW = "flow", _("flow")
        COMBUSTIBLE_GAS = "combustible_gas", _("combustible gas")
        TOXIC_GAS = "toxic_gas", _("toxic gas")
        OXYGEN = "oxygen", _("oxygen")
        WIND_SPEED = "wind_speed", _("wind speed")
        WIND_DIRECTION = "wind_direction", _("wind direction")
        AIR_TEMPERATURE = "air_temperature", _("air temperature")
        RELATIVE_HUMIDITY = "relative_humidity", _("relative humidity")

    class AlarmState(models.TextChoices):
        NORMAL = "normal", _("normal")
        LOLO = "lolo", _("low-low")
        LO = "lo", _("low")
        HI = "hi", _("high")
        HIHI = "hihi", _("high-high")
        RATE = "rate", _("rate of change")
        STALE = "stale", _("stale data")
        OFFLINE = "offline", _("offline")
        BAD_QUALITY = "bad_quality", _("bad quality")

    THRESHOLDS = ("lolo", "lo", "hi", "hihi")
    UNIT_CHOICES = sorted({u for units in SENSOR_UNITS.values() for u in units})

    region = models.ForeignKey(
        Region,
        models.PROTECT,
        blank=True,
        related_name="sensors",
        verbose_name=_("region"),
        help_text=_("The enterprise's region; for a sensor of no enterprise (a park's weather station), its own."),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="sensors",
        verbose_name=_("enterprise"),
    )
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="sensors",
        verbose_name=_("hazard source"),
    )
    equipment = models.ForeignKey(
        Equipment, models.SET_NULL, null=True, blank=True, related_name="sensors", verbose_name=_("equipment")
    )
    tag = models.CharField(_("tag number"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("measurement unit"), max_length=8, choices=[(u, u) for u in UNIT_CHOICES])
    substance = models.ForeignKey(
        Substance,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="sensors",
        verbose_name=_("gas detected"),
    )
    device_code = models.CharField(
        _("device"),
        max_length=40,
        blank=True,
        help_text=_("The instrument or station this point belongs to, e.g. the weather station's code."),
    )
    location = models.PointField(_("location"), srid=4326, validators=[validate_geometry])
    height_m = models.FloatField(_("height above ground (m)"), null=True, blank=True)
    range_min = models.FloatField(_("range low"), null=True, blank=True)
    range_max = models.FloatField(_("range high"), null=True, blank=True)
    lolo = models.FloatField(_("low-low alarm"), null=True, blank=True)
    lo = models.FloatField(_("low alarm"), null=True, blank=True)
    hi = models.FloatField(_("high alarm"), null=True, blank=True)
    hihi = models.FloatField(_("high-high alarm"), null=True, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True, editable=False)
    value_time = models.DateTimeField(_("value time"), null=True, blank=True, editable=False)
    quality = models.PositiveSmallIntegerField(
        _("quality"), choices=Quality.choices, null=True, blank=True, editable=False
    )
    alarm_state = models.CharField(
        _("alarm state"), max_length=12, choices=AlarmState.choices, default=AlarmState.NORMAL, editable=False
    )

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["enterprise", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "tag"], name="geo_sensor_tag"),
            models.UniqueConstraint(
                fields=["region", "tag"],
                condition=models.Q(enterprise__isnull=True),
                name="geo_sensor_region_tag",
                violation_error_message=_("Another sensor of this region, of no enterprise, has this tag number."),
            ),
        ]
        indexes = [models.Index(fields=["kind"]), models.Index(fields=["alarm_state"])]

    def __str__(self) -> str:
        return f"{self.tag} {self.name}"

    def clean(self) -> None:
        if self.kind and self.unit:
            validate_sensor_unit(self.kind, self.unit, dict(self.Kind.choices).get(self.kind, self.kind))
        thresholds = {name: getattr(self, name) for name in self.THRESHOLDS}
        labels = self.labels(*self.THRESHOLDS, "range_min", "range_max")
        validate_thresholds(thresholds, self.THRESHOLDS, labels)
        validate_thresholds(
            {"range_min": self.range_min, "range_max": self.range_max}, ("range_min", "range_max"), labels
        )
        validate_within_range(thresholds, self.range_min, self.range_max, labels)
        if self.kind == self.Kind.TOXIC_GAS and self.substance_id is None:
            raise ValidationError({"substance": _("A toxic gas detector must name its gas.")}, code="gas_missing")
        if self.equipment_id is not None:
            if self.hazard_source_id is None:
                self.hazard_source_id = self.equipment.hazard_source_id
            elif self.equipment.hazard_source_id != self.hazard_source_id:
                raise ValidationError(
                    {"equipment": _("The equipment belongs to another hazard source.")},
                    code="equipment_source",
                )
        if self.hazard_source_id is not None:
            if self.enterprise_id is None:
                self.enterprise_id = self.hazard_source.enterprise_id
            elif self.hazard_source.enterprise_id != self.enterprise_id:
                raise ValidationError(
                    {"hazard_source": _("The hazard source belongs to another enterprise.")},
                    code="source_enterprise",
                )
        self.follow_enterprise_region()


class Reading(models.Model):
    """One value of a sensor at one time (history, kept ≥ 30 days).

    On PostGIS the table is partitioned by day on ``time`` (see ``geo.partitions``); a reading
    for a day with no partition lands in the default partition, so none is ever refused.
    ``(sensor, time)`` is unique: a reading delivered twice is stored once.
    """

    sensor = models.ForeignKey(Sensor, models.CASCADE, related_name="readings", db_index=False)
    time = models.DateTimeField(_("time"))
    value = models.FloatField(_("value"), null=True, blank=True)
    quality = models.PositiveSmallIntegerField(_("quality"), choices=Quality.choices, default=Quality.GOOD)

    scope_region = "sensor__region__path"
    scope_enterprise = "sensor__enterprise"

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [models.UniqueConstraint(fields=["sensor", "time"], name="geo_reading_sensor_time")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.time.isoformat()} {self.value}"


class Alarm(ValidatedModel):
    """An alarm from a sensor, a device, a person's tag or a fence, and where its handling stands."""

    class Kind(models.TextChoices):
        HI = "hi", _("high")
        HIHI = "hihi", _("high-high")
        LO = "lo", _("low")
        LOLO = "lolo", _("low-low")
        RATE = "rate", _("rate of change")
        STALE = "stale", _("stale data")
        OFFLINE = "offline", _("device offline")
        BAD_QUALITY = "bad_quality", _("bad quality")
        FENCE_ENTRY = "fence_entry", _("entered a restricted area")
        OFF_POST = "off_post", _("left the work area")
        STATIC = "static", _("motionless too long")
        LINGER = "linger", _("lingering too long")
        OVERCROWD = "overcrowd", _("too many people")
        UNDERSTAFF = "understaff", _("too few people")
        CROWD = "crowd", _("people gathering")
        OVERSPEED = "overspeed", _("vehicle over speed")
        LOW_BATTERY = "low_battery", _("low battery")
        SOS = "sos", _("SOS")

    class Level(models.IntegerChoices):
        FIRST = 1, _("first-level alarm")
        SECOND = 2, _("second-level alarm")

    class State(models.TextChoices):
        NEW = "new", _("new")
        SEEN = "seen", _("seen")
        VERIFIED = "verified", _("situation verified")
        PLAN_APPLIED = "plan_applied", _("plan applied")
        REPORTED = "reported", _("report written")
        CLOSED = "closed", _("closed")

    class Finding(models.TextChoices):
        """What verifying the situation found (``geo.alarm_handling``)."""

        REAL = "real", _("real alarm")
        FALSE_ALARM = "false_alarm", _("false alarm")
        TEST = "test", _("test")

    region = models.ForeignKey(Region, models.PROTECT, blank=True, related_name="alarms", verbose_name=_("region"))
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="alarms", verbose_name=_("enterprise")
    )
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("hazard source"),
    )
    sensor = models.ForeignKey(
        Sensor, models.SET_NULL, null=True, blank=True, related_name="alarms", verbose_name=_("sensor")
    )
    tag = models.ForeignKey(
        "geo.PersonnelTag",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alarms",
        verbose_name=_("personnel tag"),
    )
    fence = models.ForeignKey(
        "geo.Fence", models.SET_NULL, null=True, blank=True, related_name="alarms", verbose_name=_("fence")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("alarm level"), choices=Level.choices, default=Level.FIRST)
    state = models.CharField(_("handling state"), max_length=12, choices=State.choices, default=State.NEW)
    message = models.CharField(_("message"), max_length=300, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    unit = models.CharField(_("measurement unit"), max_length=8, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("condition cleared at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    finding = models.CharField(
        _("finding"),
        max_length=12,
        choices=Finding.choices,
        blank=True,
        help_text=_("What verifying the situation found; empty until it is verified."),
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True, validators=[validate_geometry])

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["region", "started_at"]),
            models.Index(fields=["enterprise", "started_at"]),
            models.Index(fields=["sensor", "started_at"]),
            models.Index(fields=["state"]),
        ]
        constraints = [
            # one row per alarm of a sensor, whichever centre worker sees its raise or clear first
            models.UniqueConstraint(
                fields=["sensor", "kind", "started_at"],
                condition=models.Q(sensor__isnull=False),
                name="geo_alarm_sensor_kind_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.enterprise_id is None and self.sensor_id is not None:
            self.enterprise_id = self.sensor.enterprise_id
            if self.region_id is None:
                self.region_id = self.sensor.region_id
        self.follow_enterprise_region()
        for field in ("ended_at", "closed_at"):
            moment = getattr(self, field)
            if moment is not None and self.started_at is not None and moment < self.started_at:
                raise ValidationError({field: _("Cannot be before the alarm started.")}, code="time_order")

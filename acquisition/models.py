"""Acquisition in the database: gateways (edge agents and their certificates), devices, points, messages seen.

A ``Gateway`` is an edge agent known to the centre: the SM2 certificate (or public key) its messages
are signed with, and the region or enterprise whose sensors it may write. A child centre (the hazmap
centre of a region below, ``kind`` centre, see ``hierarchy``) is known to its parent the same way: its
code, certificate, region, whether it is active and when it was last heard from. Its ``Device`` and
``Point`` rows are the point map in the database (the same settings as the YAML file, checked by
``acquisition.pointmap``); alarm limits and measuring ranges come from the sensor itself. ``Message``
remembers the identities of the messages accepted recently, so that a replayed one is refused.

For personnel positioning (``acquisition.positioning``): ``FenceRule`` holds the rule settings of one
fence (dwell times, k-of-n confirmation, crowd head-counts with their source, assigned tags), and
``PlantGrid`` the plant coordinate grid an enterprise's positioning engine may report x/y in.
"""

from __future__ import annotations

from django.contrib.gis.db import models as gis
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acquisition import pointmap, sm
from geo.models import Enterprise, Fence, PersonnelTag, Region, Sensor
from geo.models.base import ValidatedModel
from geo.validators import validate_geometry


class Gateway(models.Model):
    """An edge agent (the device that signs the uplink), or a child centre: its certificate and where it may write."""

    class Kind(models.TextChoices):
        AGENT = "agent", _("edge agent")
        CENTRE = "centre", _("child centre")

    code = models.CharField(
        _("device code"), max_length=64, unique=True, help_text=_("The gateway's identity in every message it signs.")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"),
        max_length=8,
        choices=Kind.choices,
        default=Kind.AGENT,
        help_text=_(
            "An edge agent sends samples and alarms; a child centre (the hazmap centre of a region below) sends "
            "its registry, alarms and audit entries."
        ),
    )
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        blank=True,
        related_name="gateways",
        verbose_name=_("region"),
        help_text=_("The gateway may write the sensors of this region and the regions below it."),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="gateways",
        verbose_name=_("enterprise"),
        help_text=_("When given, the gateway may write only this enterprise's sensors."),
    )
    credential = models.TextField(
        _("SM2 certificate or public key"),
        help_text=_("PEM: an X.509 certificate with an SM2 key, or an SM2 public key."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last message at"), null=True, blank=True, editable=False)

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("acquisition gateway")
        verbose_name_plural = _("acquisition gateways")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.full_clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.kind == self.Kind.CENTRE and self.enterprise_id is not None:
            raise ValidationError(
                {"enterprise": _("A child centre answers for a region, not for an enterprise.")},
                code="centre_enterprise",
            )
        if self.enterprise_id is not None:
            if self.region_id is None:
                self.region_id = self.enterprise.region_id
            elif not self.enterprise.region.path.startswith(Region.objects.get(pk=self.region_id).path):
                raise ValidationError(
                    {"region": _("The enterprise lies outside this region.")}, code="region_enterprise"
                )
        if self.region_id is None:
            raise ValidationError({"region": _("Give the region, or the enterprise.")}, code="region_missing")
        try:
            sm.load_credential(self.credential)
        except sm.CryptoError as error:
            raise ValidationError({"credential": str(error)}, code="credential") from None


class Device(models.Model):
    """A Modbus or OPC UA server read by a gateway (one device of the point map)."""

    class Protocol(models.TextChoices):
        MODBUS_TCP = "modbus-tcp", _("Modbus TCP")
        MODBUS_RTU = "modbus-rtu", _("Modbus RTU (serial)")
        OPCUA = "opcua", _("OPC UA")

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="devices", verbose_name=_("gateway"))
    name = models.CharField(_("name"), max_length=80)
    protocol = models.CharField(_("protocol"), max_length=12, choices=Protocol.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    host = models.CharField(_("host"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("port"), default=502)
    framer = models.CharField(
        _("framing"), max_length=8, default="socket", choices=[("socket", "Modbus TCP"), ("rtu", "RTU over TCP")]
    )
    serial = models.CharField(_("serial port"), max_length=200, blank=True)
    baudrate = models.PositiveIntegerField(_("baud rate"), default=9600)
    parity = models.CharField(_("parity"), max_length=1, default="N", choices=[("N", "N"), ("E", "E"), ("O", "O")])
    stopbits = models.PositiveSmallIntegerField(_("stop bits"), default=1)
    bytesize = models.PositiveSmallIntegerField(_("data bits"), default=8)
    unit = models.PositiveSmallIntegerField(_("Modbus unit id"), default=1)
    poll_s = models.FloatField(_("polling interval (s)"), default=1.0)
    timeout_s = models.FloatField(_("request timeout (s)"), default=1.0)
    retries = models.PositiveSmallIntegerField(_("retries"), default=2)
    byte_order = models.CharField(
        _("byte order"), max_length=6, default="big", choices=[(o, o) for o in pointmap.ORDERS]
    )
    word_order = models.CharField(
        _("word order"), max_length=6, default="big", choices=[(o, o) for o in pointmap.ORDERS]
    )
    max_gap = models.PositiveSmallIntegerField(_("largest gap read in one request (registers)"), default=8)
    url = models.CharField(_("OPC UA endpoint"), max_length=300, blank=True)
    security = models.CharField(
        _("security policy"),
        max_length=20,
        default="None",
        choices=[("None", "None"), ("Basic256Sha256", "Basic256Sha256")],
    )
    mode = models.CharField(
        _("message security mode"),
        max_length=16,
        blank=True,
        choices=[("Sign", "Sign"), ("SignAndEncrypt", "SignAndEncrypt")],
    )
    certificate = models.CharField(_("agent certificate file"), max_length=300, blank=True)
    private_key = models.CharField(_("agent private key file"), max_length=300, blank=True)
    server_certificate = models.CharField(_("server certificate file"), max_length=300, blank=True)
    user_certificate = models.CharField(_("user certificate file"), max_length=300, blank=True)
    user_private_key = models.CharField(_("user private key file"), max_length=300, blank=True)
    username = models.CharField(_("user name"), max_length=100, blank=True)
    password_env = models.CharField(
        _("password variable"), max_length=100, blank=True, help_text=_("Environment variable holding the password.")
    )
    publishing_interval_s = models.FloatField(_("publishing interval (s)"), default=0.5)

    scope_region = "gateway__region__path"
    scope_enterprise = "gateway__enterprise"

    class Meta:
        verbose_name = _("acquisition device")
        verbose_name_plural = _("acquisition devices")
        ordering = ["gateway", "name"]
        constraints = [models.UniqueConstraint(fields=["gateway", "name"], name="acquisition_device_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_protocol_display()})"

    def settings(self) -> dict:
        """The settings that apply to the device's protocol, as the point map names them."""
        values = {}
        for name, setting in pointmap.DEVICE_FIELDS.items():
            if name == "owner" or self.protocol not in setting.protocols:
                continue
            value = getattr(self, name)
            if value not in ("", None):
                values[name] = value
        return values

    def clean(self) -> None:
        values, errors = pointmap.check_settings(self.settings(), pointmap.DEVICE_FIELDS, self.protocol)
        errors = [(f, m) for f, m, _line in errors] + pointmap._device_rules(values)
        if errors:
            raise ValidationError({field: message for field, message in errors if hasattr(self, field)} or str(errors))

    def spec(self) -> pointmap.DeviceSpec:
        """The device and its points as the agent runs them; alarm limits and ranges from the sensors."""
        values = self.settings()
        points = [point.spec(values) for point in self.points.select_related("sensor__enterprise", "sensor__region")]
        return pointmap.build_device(values, points, None)


class Point(models.Model):
    """The binding of one sensor to a register, bit or OPC UA node of a device."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="points", verbose_name=_("device"))
    sensor = models.OneToOneField(Sensor, models.CASCADE, related_name="acquisition_point", verbose_name=_("sensor"))
    table = models.CharField(
        _("Modbus table"), max_length=8, default="holding", choices=[(t, t) for t in pointmap.TABLES]
    )
    address = models.PositiveIntegerField(_("Modbus address"), null=True, blank=True)
    type = models.CharField(_("data type"), max_length=8, blank=True, choices=[(t, t) for t in pointmap.TYPES])
    byte_order = models.CharField(_("byte order"), max_length=6, blank=True, choices=[(o, o) for o in pointmap.ORDERS])
    word_order = models.CharField(_("word order"), max_length=6, blank=True, choices=[(o, o) for o in pointmap.ORDERS])
    node = models.CharField(_("OPC UA node id"), max_length=300, blank=True)
    sampling_interval_s = models.FloatField(_("sampling interval (s)"), default=0.5)
    deadband = models.FloatField(_("subscription deadband"), default=0.0)
    scale = models.FloatField(_("scale"), default=1.0)
    offset = models.FloatField(_("offset"), default=0.0)
    alarm_deadband = models.FloatField(
        _("alarm deadband"), null=True, blank=True, help_text=_("Empty: by the sensor's kind (EEMUA 191).")
    )
    on_delay_s = models.FloatField(_("alarm on-delay (s)"), default=0.0)
    off_delay_s = models.FloatField(_("alarm off-delay (s)"), default=0.0)
    rate_limit = models.FloatField(_("rate-of-change limit (unit/s)"), null=True, blank=True)
    stale_after_s = models.FloatField(_("stale after (s)"), null=True, blank=True)

    scope_region = "device__gateway__region__path"
    scope_enterprise = "device__gateway__enterprise"

    class Meta:
        verbose_name = _("acquisition point")
        verbose_name_plural = _("acquisition points")
        ordering = ["device", "address", "node"]

    def __str__(self) -> str:
        return f"{self.device.name}: {self.sensor.tag}"

    def settings(self) -> dict:
        protocol = self.device.protocol
        values = {"sensor": sensor_key(self.sensor)}
        for name, setting in pointmap.POINT_FIELDS.items():
            if name == "sensor" or protocol not in setting.protocols or not hasattr(self, name):
                continue
            value = getattr(self, name)
            if value not in ("", None):
                values[name] = value
        return values

    def clean(self) -> None:
        protocol = self.device.protocol if self.device_id else None
        if self.sensor_id is None:
            return
        values, errors = pointmap.check_settings(self.settings(), pointmap.POINT_FIELDS, protocol)
        errors = [(f, m) for f, m, _line in errors] + pointmap._point_rules(values, protocol)
        if errors:
            raise ValidationError({field: message for field, message in errors if hasattr(self, field)} or str(errors))

    def spec(self, device_values: dict) -> pointmap.PointSpec:
        """The point as the agent runs it, with the sensor's alarm limits, range and default deadband."""
        values = self.settings()
        sensor = self.sensor
        for name in ("lolo", "lo", "hi", "hihi", "range_min", "range_max"):
            if getattr(sensor, name) is not None:
                values[name] = getattr(sensor, name)
        if values.get("alarm_deadband") is None:
            values["alarm_deadband"] = default_deadband(sensor.kind, sensor.range_min, sensor.range_max)
        return pointmap.build_point(values, device_values, None, None)


class Message(models.Model):
    """A message accepted from a gateway, remembered while a replay of it could still arrive."""

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="+")
    epoch = models.CharField(max_length=16)
    seq = models.BigIntegerField()
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "epoch", "seq"], name="acquisition_message_once")]

    def __str__(self) -> str:
        return f"{self.gateway_id} {self.epoch}:{self.seq}"


def sensor_key(sensor: Sensor) -> str:
    """The key a sensor goes by on the wire: ``credit code/tag``, or ``region code/tag`` without an enterprise."""
    owner = sensor.enterprise.credit_code if sensor.enterprise_id else sensor.region.code
    return f"{owner}/{sensor.tag}"


# Starting alarm deadbands as a share of the measuring span, as widely quoted from EEMUA 191 and
# ISA-18.2 guidance: flow 5 %, level 5 %, pressure 2 %, temperature 1 % (not checked against the
# standards' text here, so every point may set its own ``alarm_deadband``). Kinds outside that list
# (gas, weather) take 1 %, the smallest of it: alarms then clear late rather than early.
DEADBAND_SHARE = {"flow": 0.05, "level": 0.05, "pressure": 0.02, "temperature": 0.01}


def default_deadband(kind: str, range_min: float | None, range_max: float | None) -> float:
    """The alarm deadband of a sensor of ``kind`` with that measuring range, in its unit (0 without a range)."""
    if range_min is None or range_max is None:
        return 0.0
    return DEADBAND_SHARE.get(kind, 0.01) * (range_max - range_min)


POSITIVE = [MinValueValidator(0.001)]


class FenceRule(ValidatedModel):
    """The positioning rules of one fence; a fence without one gets ``acquisition.positioning.rules.default_rule``.

    Durations in seconds, distances in metres; the speed limit in km/h (as signs give it). A head-count
    or duration left empty switches that rule off for the fence. No crowd head-count is official (the
    2023 MEM guide defines a gathering, ≤ 15 m for > 1 minute, but publishes no counts), so levels set
    here must say where they come from.
    """

    fence = models.OneToOneField(Fence, models.CASCADE, related_name="rule", verbose_name=_("fence"))
    entry_alarm = models.BooleanField(
        _("alarm on entry"),
        default=True,
        help_text=_("Restricted areas: alarm when a tag not assigned to the area enters it."),
    )
    assigned_tags = models.ManyToManyField(
        PersonnelTag,
        blank=True,
        related_name="fence_rules",
        verbose_name=_("assigned tags"),
        help_text=_("Restricted area: tags allowed in. Work area: tags that must stay in it (off-post alarm)."),
    )
    off_post_s = models.FloatField(
        _("off-post after (s)"),
        null=True,
        blank=True,
        default=600.0,
        validators=POSITIVE,
        help_text=_("Work areas: alarm when an assigned tag has been outside this long."),
    )
    linger_s = models.FloatField(
        _("lingering limit (s)"),
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("Alarm when a tag stays inside longer than this."),
    )
    static_s = models.FloatField(
        _("motionless limit (s)"),
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("Alarm when a person inside has not moved for this long (possible fall)."),
    )
    people_deadband = models.PositiveSmallIntegerField(
        _("head-count deadband"),
        default=0,
        help_text=_(
            "Over-crowding clears at the maximum minus this many people, under-staffing at the minimum plus this."
        ),
    )
    dwell_s = models.FloatField(
        _("head-count dwell (s)"),
        default=10.0,
        validators=[MinValueValidator(0.0)],
        help_text=_("A head-count must stay beyond its limit this long before the alarm is raised or cleared."),
    )
    crowd_first_people = models.PositiveIntegerField(
        _("crowd: first-level head-count"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2)],
        help_text=_("People within 15 m for more than 1 minute that raise a first-level crowd alarm here."),
    )
    crowd_second_people = models.PositiveIntegerField(
        _("crowd: second-level head-count"), null=True, blank=True, validators=[MinValueValidator(2)]
    )
    crowd_source = models.CharField(
        _("source of the crowd head-counts"),
        max_length=300,
        blank=True,
        help_text=_("The rule or document the head-counts come from (none is official yet)."),
    )
    speed_limit_kmh = models.FloatField(_("vehicle speed limit (km/h)"), null=True, blank=True, validators=POSITIVE)
    edge_m = models.FloatField(
        _("edge band (m)"),
        default=3.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(50.0)],
        help_text=_("A tag inside counts as inside until it is this far outside the fence (positioning error)."),
    )
    confirm_k = models.PositiveSmallIntegerField(
        _("confirming fixes (k)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    confirm_n = models.PositiveSmallIntegerField(
        _("of the last fixes (n)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    scope_region = "fence__enterprise__region__path"
    scope_enterprise = "fence__enterprise"

    class Meta:
        verbose_name = _("fence rule")
        verbose_name_plural = _("fence rules")
        ordering = ["fence"]

    def __str__(self) -> str:
        return str(self.fence)

    def clean(self) -> None:
        errors = {}
        if self.confirm_k is not None and self.confirm_n is not None and self.confirm_k > self.confirm_n:
            errors["confirm_k"] = _("Cannot be more than the number of fixes looked at (n).")
        first, second = self.crowd_first_people, self.crowd_second_people
        if second is not None and first is None:
            errors["crowd_first_people"] = _("Give the first-level head-count before the second.")
        elif second is not None and second <= first:
            errors["crowd_second_people"] = _("Must be more than the first-level head-count.")
        if first is not None and not self.crowd_source.strip():
            errors["crowd_source"] = _("Say where the crowd head-counts come from: no official values are published.")
        if errors:
            raise ValidationError(errors)


class PlantGrid(ValidatedModel):
    """An enterprise's plant coordinate grid: positions reported as x/y metres are placed with it.

    x runs along ``x_bearing_deg`` (degrees clockwise from true north; 90 = east) and y 90° to its
    left, both in metres from ``origin``.
    """

    enterprise = models.OneToOneField(
        Enterprise, models.CASCADE, related_name="plant_grid", verbose_name=_("enterprise")
    )
    origin = gis.PointField(_("grid origin (0, 0)"), srid=4326, validators=[validate_geometry])
    x_bearing_deg = models.FloatField(
        _("bearing of the x axis (°)"),
        default=90.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(360.0)],
        help_text=_("Degrees clockwise from true north; 90 when x points east."),
    )

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("plant grid")
        verbose_name_plural = _("plant grids")

    def __str__(self) -> str:
        return str(self.enterprise)

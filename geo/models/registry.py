"""The registry: enterprises, their hazard sources (units), equipment and the substances held."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from geo import gb18218
from geo.geometry import lies_within
from geo.models.base import ValidatedModel
from geo.models.regions import Region
from geo.validators import validate_cas, validate_credit_code, validate_geometry, validate_thresholds

POSITIVE = [MinValueValidator(0.0)]

# Properties that must rise in this order where they are given.
RISING_PROPERTIES = (
    ("aegl1_ppm", "aegl2_ppm", "aegl3_ppm"),
    ("erpg1_ppm", "erpg2_ppm", "erpg3_ppm"),
    ("lel_pct", "uel_pct"),
)

CLASSIFICATION_MESSAGES = {
    "unclassifiable": _(
        "“%(name)s” cannot be classified under GB 18218-2018: it is not a row of Table 1 and has no "
        "hazard category of Table 2."
    ),
    "no_beta_category": _(
        "“%(name)s” has no correction factor β under GB 18218-2018: it is not a toxic gas of Table 3; "
        "give its hazard category of Table 2 so that Table 4 applies."
    ),
    "unknown_table1_seq": _("“%(name)s”: GB 18218-2018 Table 1 has rows 1 to 85 only."),
    "unknown_category": _("“%(name)s”: %(symbols)s is not a category of GB 18218-2018 Table 2."),
}


class Substance(ValidatedModel):
    """A hazardous chemical: GB 18218-2018 classification and the properties the models need.

    Physical properties are in SI units; concentrations in ppm (by volume) and flammability
    limits in % by volume, as the field names say. ``properties_source`` names where each
    number comes from.
    """

    name_cn = models.CharField(_("Chinese name"), max_length=120, unique=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    aliases = models.CharField(_("aliases"), max_length=200, blank=True)
    cas = models.CharField(_("CAS number"), max_length=12, blank=True, validators=[validate_cas])
    gb18218_seq = models.PositiveSmallIntegerField(
        _("GB 18218 Table 1 row"),
        null=True,
        blank=True,
        unique=True,
        validators=[MinValueValidator(1), MaxValueValidator(85)],
    )
    gb18218_categories = models.JSONField(
        _("GB 18218 Table 2 categories"),
        default=list,
        blank=True,
        help_text=_('Hazard category symbols of Table 2, e.g. ["W2"] or ["W5.3", "J5"]'),
    )
    molar_mass_kg_mol = models.FloatField(_("molar mass (kg/mol)"), null=True, blank=True, validators=POSITIVE)
    boiling_point_k = models.FloatField(_("normal boiling point (K)"), null=True, blank=True, validators=POSITIVE)
    liquid_density_kg_m3 = models.FloatField(_("liquid density (kg/m³)"), null=True, blank=True, validators=POSITIVE)
    heat_of_vaporization_j_kg = models.FloatField(
        _("heat of vaporisation at boiling point (J/kg)"), null=True, blank=True, validators=POSITIVE
    )
    liquid_heat_capacity_j_kg_k = models.FloatField(
        _("liquid heat capacity (J/(kg·K))"), null=True, blank=True, validators=POSITIVE
    )
    heat_capacity_ratio = models.FloatField(
        _("gas heat capacity ratio cp/cv"), null=True, blank=True, validators=[MinValueValidator(1.0)]
    )
    heat_of_combustion_j_kg = models.FloatField(
        _("lower heat of combustion (J/kg)"), null=True, blank=True, validators=POSITIVE
    )
    lel_pct = models.FloatField(_("lower explosive limit (vol %)"), null=True, blank=True, validators=POSITIVE)
    uel_pct = models.FloatField(_("upper explosive limit (vol %)"), null=True, blank=True, validators=POSITIVE)
    idlh_ppm = models.FloatField(_("IDLH (ppm)"), null=True, blank=True, validators=POSITIVE)
    aegl1_ppm = models.FloatField(_("AEGL-1, 60 min (ppm)"), null=True, blank=True, validators=POSITIVE)
    aegl2_ppm = models.FloatField(_("AEGL-2, 60 min (ppm)"), null=True, blank=True, validators=POSITIVE)
    aegl3_ppm = models.FloatField(_("AEGL-3, 60 min (ppm)"), null=True, blank=True, validators=POSITIVE)
    erpg1_ppm = models.FloatField(_("ERPG-1 (ppm)"), null=True, blank=True, validators=POSITIVE)
    erpg2_ppm = models.FloatField(_("ERPG-2 (ppm)"), null=True, blank=True, validators=POSITIVE)
    erpg3_ppm = models.FloatField(_("ERPG-3 (ppm)"), null=True, blank=True, validators=POSITIVE)
    properties_source = models.TextField(_("sources of the properties"), blank=True)

    class Meta:
        verbose_name = _("substance")
        verbose_name_plural = _("substances")
        ordering = ["name_cn"]

    def __str__(self) -> str:
        return self.name_cn

    def chemical(self) -> gb18218.Chemical:
        """This substance as GB 18218 grading sees it."""
        return gb18218.Chemical(
            name=self.name_cn,
            cas=self.cas or None,
            table1_seq=self.gb18218_seq,
            categories=tuple(self.gb18218_categories or ()),
        )

    def clean(self) -> None:
        if not isinstance(self.gb18218_categories, list) or not all(
            isinstance(c, str) for c in self.gb18218_categories
        ):
            raise ValidationError(
                {"gb18218_categories": _('Give a list of Table 2 symbols such as ["W2", "J3"].')},
                code="categories_format",
            )
        try:
            gb18218.critical_quantity(self.chemical())
            gb18218.correction_beta(self.chemical())
        except gb18218.ClassificationError as error:
            field = "gb18218_seq" if error.code == "unknown_table1_seq" else "gb18218_categories"
            message = CLASSIFICATION_MESSAGES.get(error.code, str(error))
            known = {row["symbol"] for row in gb18218.categories()}
            unknown = ", ".join(c for c in self.gb18218_categories if c not in known)
            params = {"name": self.name_cn, "symbols": unknown}
            raise ValidationError({field: ValidationError(message, code=error.code, params=params)}) from None
        for rising in RISING_PROPERTIES:
            validate_thresholds({name: getattr(self, name) for name in rising}, rising, self.labels(*rising))

    def save(self, *args, **kwargs) -> None:
        from geo.grading import regrade_all

        graded = ("cas", "gb18218_seq", "gb18218_categories")
        before = Substance.objects.filter(pk=self.pk).values(*graded).first() if self.pk else None
        super().save(*args, **kwargs)
        if before is not None and before != {name: getattr(self, name) for name in graded}:
            regrade_all(HazardSource.objects.filter(equipment__substance=self).distinct())


class Enterprise(ValidatedModel):
    """An enterprise holding hazardous chemicals, with its site boundary."""

    class Industry(models.TextChoices):
        PETROCHEMICAL = "petrochemical", _("petrochemicals")
        COAL_CHEMICAL = "coal_chemical", _("coal chemicals")
        FINE_CHEMICAL = "fine_chemical", _("fine chemicals")
        CHLOR_ALKALI = "chlor_alkali", _("chlor-alkali")
        FERTILIZER = "fertilizer", _("fertilisers")
        PHARMACEUTICAL = "pharmaceutical", _("pharmaceutical chemicals")
        GAS = "gas", _("industrial and fuel gases")
        STORAGE = "storage", _("hazardous-chemical storage")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="enterprises",
        verbose_name=_("region"),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    population_500m = models.PositiveIntegerField(
        _("permanent residents within 500 m outside the site"),
        help_text=_("Sets the correction factor α of GB 18218-2018 Table 5."),
    )
    site = models.MultiPolygonField(_("site boundary"), srid=4326, validators=[validate_geometry])

    scope_region = "region__path"
    scope_enterprise = "pk"

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.region_id is not None and self.region.level not in ("county", "park"):
            raise ValidationError(
                {"region": _("An enterprise belongs to a county or a chemical park.")}, code="region_level"
            )

    def save(self, *args, **kwargs) -> None:
        from geo.grading import regrade_all

        before = Enterprise.objects.filter(pk=self.pk).values_list("population_500m", flat=True).first()
        super().save(*args, **kwargs)
        if before is not None and before != self.population_500m:
            regrade_all(self.hazard_sources.all())


class HazardSource(ValidatedModel):
    """A unit identified under GB 18218-2018: a tank area (one dike), a warehouse (one building) or a
    production site (bounded by shut-off valves).

    The ``gb_*`` fields hold the latest identification and grading, recomputed by
    ``geo.grading.regrade`` whenever the registry changes; ``grading`` explains every term.
    """

    class Kind(models.TextChoices):
        TANK_AREA = "tank_area", _("tank area")
        WAREHOUSE = "warehouse", _("warehouse")
        PRODUCTION = "production", _("production site")

    class RegistryStatus(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPLIED = "applied", _("registration applied")
        REGISTERED = "registered", _("registered")
        CANCEL_APPLIED = "cancel_applied", _("cancellation applied")
        CANCELLED = "cancelled", _("cancelled")

    class Grade(models.IntegerChoices):
        FIRST = 1, _("grade 1")
        SECOND = 2, _("grade 2")
        THIRD = 3, _("grade 3")
        FOURTH = 4, _("grade 4")

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="hazard_sources", verbose_name=_("enterprise")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    footprint = models.MultiPolygonField(_("unit boundary"), srid=4326, validators=[validate_geometry])
    principal_name = models.CharField(_("principal responsible person"), max_length=60)
    principal_phone = models.CharField(_("principal's phone"), max_length=40, blank=True)
    technical_name = models.CharField(_("technical responsible person"), max_length=60)
    technical_phone = models.CharField(_("technical person's phone"), max_length=40, blank=True)
    operational_name = models.CharField(_("operational responsible person"), max_length=60)
    operational_phone = models.CharField(_("operational person's phone"), max_length=40, blank=True)
    accident_fire = models.BooleanField(_("possible accident: fire"), default=False)
    accident_explosion = models.BooleanField(_("possible accident: explosion"), default=False)
    accident_poisoning = models.BooleanField(_("possible accident: poisoning"), default=False)
    potential_fatalities = models.PositiveIntegerField(
        _("possible deaths in an accident"),
        null=True,
        blank=True,
        help_text=_("可能引发事故死亡人数, as the registry form asks: the enterprise's estimate; empty if not given."),
    )
    registry_status = models.CharField(
        _("registry status"), max_length=16, choices=RegistryStatus.choices, default=RegistryStatus.DRAFT
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    gb_s = models.FloatField(_("S = Σ q/Q"), default=0.0, editable=False)
    is_major = models.BooleanField(_("major hazard source"), default=False, editable=False)
    gb_r = models.FloatField(_("grading index R"), null=True, blank=True, editable=False)
    gb_alpha = models.FloatField(_("correction factor α"), null=True, blank=True, editable=False)
    gb_grade = models.PositiveSmallIntegerField(
        _("grade"), choices=Grade.choices, null=True, blank=True, editable=False
    )
    grading = models.JSONField(_("grading explained"), default=dict, blank=True, editable=False)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True, editable=False)

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("hazard source")
        verbose_name_plural = _("hazard sources")
        ordering = ["enterprise", "code"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="geo_hazardsource_code")]
        indexes = [models.Index(fields=["gb_grade"]), models.Index(fields=["registry_status"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.enterprise_id is not None and self.footprint is not None and self.enterprise.site is not None:
            if not lies_within(self.footprint, self.enterprise.site):
                raise ValidationError(
                    {"footprint": _("The unit boundary must lie within the enterprise's site boundary.")},
                    code="outside_site",
                )


class Equipment(ValidatedModel):
    """A tank, warehouse room or process unit inside a hazard source, holding one substance.

    ``design_max_kg`` is the design maximum quantity, the q of GB 18218-2018 (clause 4.2.2);
    ``inventory_kg`` is the live quantity, shown beside it but never graded.
    """

    class Kind(models.TextChoices):
        TANK = "tank", _("tank")
        WAREHOUSE = "warehouse", _("warehouse room")
        PROCESS_UNIT = "process_unit", _("process unit")

    class TankType(models.TextChoices):
        NONE = "", _("not a tank")
        FIXED_ROOF = "fixed_roof", _("fixed-roof tank")
        INTERNAL_FLOATING = "internal_floating", _("internal floating-roof tank")
        EXTERNAL_FLOATING = "external_floating", _("external floating-roof tank")
        SPHERE = "sphere", _("spherical tank")
        HORIZONTAL = "horizontal", _("horizontal tank")
        REFRIGERATED = "refrigerated", _("refrigerated tank")

    class Storage(models.TextChoices):
        ATMOSPHERIC_LIQUID = "atmospheric_liquid", _("liquid at atmospheric pressure")
        PRESSURISED_LIQUEFIED = "pressurised_liquefied", _("liquefied under pressure")
        REFRIGERATED_LIQUEFIED = "refrigerated_liquefied", _("refrigerated liquefied")
        COMPRESSED_GAS = "compressed_gas", _("compressed gas")
        SOLID = "solid", _("solid")

    class Condition(models.TextChoices):
        NONE = "", _("none")
        ABOVE_BOILING_POINT = "above_boiling_point", _("working temperature above boiling point")
        SPECIAL_PROCESS = "special_process", _("special process conditions")

    ALLOWED_IN = {
        "tank_area": ("tank",),
        "warehouse": ("warehouse",),
        "production": ("process_unit", "tank"),
    }

    hazard_source = models.ForeignKey(
        HazardSource, models.CASCADE, related_name="equipment", verbose_name=_("hazard source")
    )
    code = models.CharField(_("tag number"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    substance = models.ForeignKey(Substance, models.PROTECT, related_name="equipment", verbose_name=_("substance"))
    storage = models.CharField(_("storage state"), max_length=24, choices=Storage.choices)
    design_max_kg = models.FloatField(_("design maximum quantity (kg)"), validators=POSITIVE)
    inventory_kg = models.FloatField(_("live inventory (kg)"), null=True, blank=True, validators=POSITIVE)
    capacity_m3 = models.FloatField(_("capacity (m³)"), null=True, blank=True, validators=POSITIVE)
    design_pressure_pa = models.FloatField(_("design pressure, gauge (Pa)"), null=True, blank=True)
    design_temperature_k = models.FloatField(_("design temperature (K)"), null=True, blank=True, validators=POSITIVE)
    tank_type = models.CharField(_("tank type"), max_length=20, choices=TankType.choices, blank=True)
    diameter_m = models.FloatField(_("diameter (m)"), null=True, blank=True, validators=POSITIVE)
    height_m = models.FloatField(_("height (m)"), null=True, blank=True, validators=POSITIVE)
    gb18218_condition = models.CharField(
        _("GB 18218 operating condition"),
        max_length=20,
        choices=Condition.choices,
        blank=True,
        help_text=_("Moves a flammable liquid not in Table 1 to category W5.1 or W5.2."),
    )
    footprint = models.PolygonField(_("footprint"), srid=4326, validators=[validate_geometry])

    scope_region = "hazard_source__enterprise__region__path"
    scope_enterprise = "hazard_source__enterprise"
    graded_fields = ("hazard_source", "substance", "design_max_kg", "gb18218_condition", "code", "name")

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["hazard_source", "code"]
        constraints = [models.UniqueConstraint(fields=["hazard_source", "code"], name="geo_equipment_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        source = self.hazard_source if self.hazard_source_id is not None else None
        if source is not None and self.kind and self.kind not in self.ALLOWED_IN.get(source.kind, ()):
            errors["kind"] = ValidationError(
                _("Equipment of kind “%(kind)s” cannot be part of a unit of kind “%(source_kind)s”."),
                code="kind_in_source",
                params={"kind": self.get_kind_display(), "source_kind": source.get_kind_display()},
            )
        if source is not None and self.footprint is not None and source.footprint is not None:
            if not lies_within(self.footprint, source.footprint):
                errors["footprint"] = ValidationError(
                    _(
                        "The equipment must lie within its unit's boundary (the dike of a tank area, "
                        "the building of a warehouse, the area of a production site)."
                    ),
                    code="outside_unit",
                )
        if self.kind == self.Kind.TANK and not self.tank_type:
            errors["tank_type"] = ValidationError(_("Give the tank type."), code="tank_type_missing")
        if self.kind != self.Kind.TANK and self.tank_type:
            errors["tank_type"] = ValidationError(_("Only tanks have a tank type."), code="tank_type_extra")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        from geo.grading import regrade

        previous_source_id = None
        if self.pk is not None:
            previous_source_id = Equipment.objects.filter(pk=self.pk).values_list("hazard_source_id", flat=True).first()
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.graded_fields):
            regrade(self.hazard_source)
            if previous_source_id not in (None, self.hazard_source_id):
                regrade(HazardSource.objects.get(pk=previous_source_id))

    def delete(self, *args, **kwargs):
        from geo.grading import regrade

        source = self.hazard_source
        result = super().delete(*args, **kwargs)
        regrade(source)
        return result

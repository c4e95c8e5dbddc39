"""Forecasts, alerts (风险预警) and sensors (感知–分析–响应)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from jiesu.core.models import kind_and_number


def series_key(district_id, category_id):
    """'<district id>:<category id>', 'city' / 'all' standing for no district / every category."""
    return f"{district_id or 'city'}:{category_id or 'all'}"


class Forecast(models.Model):
    """One week's forecast for one district × category (district None: the city; category None: all).

    Written by the forecast job for the weeks from its origin on; a week's row is
    frozen once the week has begun, so the page shows each week's forecast as it
    was made before the week, next to what came in.
    """

    series = models.CharField(max_length=40, editable=False, verbose_name=_("series"))
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("district"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("category"))
    week = models.DateField(_("week (Monday)"))
    expected = models.FloatField(_("expected"))
    low = models.PositiveIntegerField(_("band low"))
    high = models.PositiveIntegerField(_("band high"))
    origin = models.DateField(_("forecast made before"))
    horizon = models.PositiveSmallIntegerField(_("weeks ahead"), default=1)
    made_at = models.DateTimeField(_("made at"))
    actual = models.PositiveIntegerField(_("actual"), null=True, blank=True)
    complete = models.BooleanField(_("week over"), default=False)

    class Meta:
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        ordering = ["series", "week"]
        constraints = [models.UniqueConstraint(fields=["series", "week"], name="warnings_forecast_series_week")]
        indexes = [models.Index(fields=["week", "district"])]

    def save(self, *args, **kwargs):
        self.series = series_key(self.district_id, self.category_id)
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.series} {self.week}: {self.expected:.1f} [{self.low}, {self.high}]"


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("volume alert", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Alert(models.Model):
    """The actual volume broke the forecast band (actual above the band's top)."""

    __str__ = kind_and_number

    forecast = models.OneToOneField(Forecast, on_delete=models.CASCADE, related_name="alert",
                                    verbose_name=_("forecast"))
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("district"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("category"))
    week = models.DateField(_("week (Monday)"), db_index=True)
    actual = models.PositiveIntegerField(_("actual"))
    expected = models.FloatField(_("expected"))
    high = models.PositiveIntegerField(_("band high"))
    partial = models.BooleanField(_("week still running"), default=False)
    created_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    state = models.CharField(_("state"), max_length=14, choices=AlertState.choices, default=AlertState.OPEN)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("volume alert")
        verbose_name_plural = _("volume alerts")
        ordering = ["-week", "-actual"]

    @property
    def ratio(self):
        return self.actual / self.expected if self.expected > 0 else None


class SensorKind(models.TextChoices):
    WATER_LEVEL = "water_level", _("Water level")
    NOISE = "noise", _("Noise")
    MANHOLE_TILT = "manhole_tilt", _("Manhole cover tilt")
    GAS = "gas", _("Combustible gas")
    TEMPERATURE = "temperature", _("Indoor temperature (heating)")


class Sensor(models.Model):
    """A device in the street that posts readings; a reading past a threshold opens a ticket."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=SensorKind.choices)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("district"))
    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("street/township"))
    owner = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="sensors",
                              verbose_name=_("responsible unit"))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("category of its tickets"))
    threshold_low = models.FloatField(_("alarm below"), null=True, blank=True)
    threshold_high = models.FloatField(_("alarm above"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    last_reading_at = models.DateTimeField(_("last reading"), null=True, blank=True)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class SensorIncident(models.Model):
    """One stretch of trouble at a sensor: one ticket, however many readings breach while it is open."""

    __str__ = kind_and_number

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("sensor"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+", verbose_name=_("ticket"))
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    cleared_at = models.DateTimeField(null=True, blank=True,
                                      verbose_name=_("cleared at"))  # the last reading was back within the thresholds
    peak_value = models.FloatField(verbose_name=_("peak value"))
    readings = models.PositiveIntegerField(default=1, verbose_name=_("readings"))

    class Meta:
        verbose_name = _("sensor incident")
        verbose_name_plural = _("sensor incidents")
        ordering = ["-opened_at"]


class SensorReading(models.Model):
    __str__ = kind_and_number

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="readings", verbose_name=_("sensor"))
    at = models.DateTimeField(_("measured at"))
    value = models.FloatField(_("value"))
    received_at = models.DateTimeField(verbose_name=_("received at"))
    breach = models.CharField(max_length=5, blank=True, verbose_name=_("breach"))  # "", "high", "low"
    incident = models.ForeignKey(SensorIncident, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("incident"))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("posted by"))

    class Meta:
        verbose_name = _("sensor reading")
        verbose_name_plural = _("sensor readings")
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["sensor", "at"], name="warnings_reading_sensor_at")]

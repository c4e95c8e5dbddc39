from django.contrib import admin

from jiesu.warnings.models import Alert, Forecast, Sensor, SensorIncident


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "owner", "street", "threshold_low", "threshold_high", "last_value",
                    "last_reading_at", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "address")
    raw_id_fields = ("district", "street", "owner", "category", "created_by")
    readonly_fields = ("last_value", "last_reading_at", "created_at")


@admin.register(SensorIncident)
class SensorIncidentAdmin(admin.ModelAdmin):
    list_display = ("sensor", "ticket", "opened_at", "cleared_at", "peak_value", "readings")
    raw_id_fields = ("sensor", "ticket")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("week", "district", "category", "actual", "expected", "high", "partial", "state")
    list_filter = ("state", "partial")
    raw_id_fields = ("forecast", "district", "category", "acknowledged_by")


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ("week", "district", "category", "expected", "low", "high", "actual", "horizon", "complete")
    list_filter = ("complete", "horizon")
    raw_id_fields = ("district", "category")

    def has_change_permission(self, request, obj=None):
        return False

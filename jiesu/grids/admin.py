from django.contrib import admin

from jiesu.grids.models import (
    BoundaryVersion, CareSubject, GridDuty, GridInfo, GridMember, KeyPlace, LadderStep, Patrol, PatrolReport,
)


@admin.register(GridMember)
class GridMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "grid", "post", "employment", "active", "since")
    list_filter = ("post", "employment", "active")
    search_fields = ("user__username", "user__display_name", "grid__code", "grid__name")
    autocomplete_fields = ("grid",)
    raw_id_fields = ("user",)


@admin.register(GridDuty)
class GridDutyAdmin(admin.ModelAdmin):
    list_display = ("gbt_code", "category", "level", "self_handle", "street", "note")
    list_filter = ("level", "self_handle")
    search_fields = ("gbt_code", "category__code", "category__name", "street__name", "note")
    raw_id_fields = ("street", "category")


@admin.register(BoundaryVersion)
class BoundaryVersionAdmin(admin.ModelAdmin):
    list_display = ("grid", "version", "valid_from", "valid_to", "source")
    search_fields = ("grid__code", "grid__name")
    raw_id_fields = ("grid", "created_by")
    readonly_fields = ("grid", "version", "geometry", "valid_from", "valid_to", "source", "created_by")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnly):
    list_display = ("worker", "grid", "started_at", "ended_at", "distance_m", "visited_share", "points", "end_reason")
    search_fields = ("worker__username", "grid__code")
    date_hierarchy = "started_at"


@admin.register(PatrolReport)
class PatrolReportAdmin(ReadOnly):
    list_display = ("ticket", "grid", "worker", "filed_at", "duty_level", "self_handled")
    list_filter = ("duty_level", "self_handled")
    search_fields = ("grid__code", "worker__username")


@admin.register(LadderStep)
class LadderStepAdmin(ReadOnly):
    list_display = ("ticket", "number", "level", "unit", "entered_at", "due_at", "left_at", "outcome")
    list_filter = ("level", "outcome")


@admin.register(GridInfo)
class GridInfoAdmin(admin.ModelAdmin):
    list_display = ("grid", "population", "households", "buildings", "updated_at")
    raw_id_fields = ("grid", "updated_by")
    search_fields = ("grid__code", "grid__name")


@admin.register(KeyPlace)
class KeyPlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "grid", "address")
    list_filter = ("kind",)
    raw_id_fields = ("grid",)
    search_fields = ("name", "grid__code")


@admin.register(CareSubject)
class CareSubjectAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "grid", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("grid",)

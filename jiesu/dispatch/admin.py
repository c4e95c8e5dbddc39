"""Back office: the gazetteer (地名库), the auto-dispatch rules, the desk's suggestion log and the model's
retrainings (both read only)."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.dispatch import router
from jiesu.dispatch.gazetteer import seed_gazetteer
from jiesu.dispatch.models import AutoDispatchRule, DispatchSuggestion, EntrySource, GazetteerEntry, RetrainRun


@admin.register(GazetteerEntry)
class GazetteerEntryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "unit", "unit_code", "source", "active")
    list_filter = ("kind", "source", "active", "unit__kind")
    search_fields = ("name", "unit__name", "unit__code", "note")
    raw_id_fields = ("unit",)
    list_select_related = ("unit",)
    readonly_fields = ("source",)
    list_per_page = 100
    actions = ["activate", "deactivate", "reseed"]
    fields = ("name", "kind", "unit", "lon", "lat", "active", "note", "source")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("unit__geometry")

    @admin.display(description=_("unit code"), ordering="unit__code")
    def unit_code(self, obj):
        return obj.unit.code

    def save_model(self, request, obj, form, change):
        # An entry made or changed here is the administrator's: seeding never deletes or resets it.
        obj.source = EntrySource.MANUAL
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Activate the selected entries"))
    def activate(self, request, queryset):
        n = queryset.update(active=True, source=EntrySource.MANUAL)
        router.invalidate()
        self.message_user(request, ngettext("%(n)d entry activated.", "%(n)d entries activated.", n) % {"n": n},
                          messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected entries (the locator ignores them)"))
    def deactivate(self, request, queryset):
        n = queryset.update(active=False, source=EntrySource.MANUAL)
        router.invalidate()
        self.message_user(request, ngettext("%(n)d entry deactivated.", "%(n)d entries deactivated.", n)
                          % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("Bring the gazetteer in step with the org tree"))
    def reseed(self, request, queryset):
        stats = seed_gazetteer()
        router.invalidate()
        self.message_user(request, _("%(created)d entries created, %(deleted)d removed.") % stats,
                          messages.SUCCESS)


@admin.register(AutoDispatchRule)
class AutoDispatchRuleAdmin(admin.ModelAdmin):
    """Per-category thresholds; nothing is auto-dispatched until a rule is enabled (docs/dispatch-desk.md)."""

    list_display = ("category", "threshold", "enabled", "note")
    list_editable = ("threshold", "enabled")
    list_filter = ("enabled",)
    search_fields = ("category__name", "category__code")
    raw_id_fields = ("category",)
    list_select_related = ("category",)


@admin.register(DispatchSuggestion)
class DispatchSuggestionAdmin(admin.ModelAdmin):
    """The log written by every dispatch made through the desk: what was suggested, what was chosen."""

    list_display = ("ticket", "at", "source", "accepted_rank", "category", "lead_unit", "confidence", "by")
    list_filter = ("source", "accepted_rank")
    date_hierarchy = "at"
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "category", "lead_unit", "by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetrainRun)
class RetrainRunAdmin(admin.ModelAdmin):
    """Every `jiesu dispatch retrain`, scheduled by the worker or run by command: how it ended and why."""

    list_display = ("started_at", "trigger", "state", "finished_at", "model_path", "host", "pid")
    list_filter = ("state", "trigger")
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in RetrainRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

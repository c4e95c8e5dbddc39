"""Back office: KPI versions with their weights per unit class (versioned: "Save as new"), exclusion reviews, the
record of published months (read only: publishing is done on the rankings page)."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from jiesu.core.errors import DomainError
from jiesu.dispatch.admin import ReadOnlyLog
from jiesu.kpi import services
from jiesu.kpi.models import ExclusionReview, KpiVersion, KpiWeights, PublishedRanking, ReviewState


class WeightsInline(admin.TabularInline):
    model = KpiWeights
    extra = 0
    max_num = 4


@admin.register(KpiVersion)
class KpiVersionAdmin(admin.ModelAdmin):
    """A version in force for past months is frozen (KpiVersion.clean); "Save as new" makes the next version."""

    save_as = True
    inlines = [WeightsInline]
    list_display = ("number", "valid_from", "partly_weight", "basic_weight", "speed_reference_hours",
                    "exclude_consultation", "exclude_merged", "exclude_unreasonable", "created_at")
    readonly_fields = ("number", "created_at", "created_by")

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


def _decide(modeladmin, request, queryset, confirm):
    done = 0
    for review in queryset.filter(state=ReviewState.PENDING):
        try:
            services.decide_exclusion(request.user, review, confirm)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            return
    modeladmin.message_user(request, _("%(n)d reviews decided.") % {"n": done}, messages.SUCCESS)


@admin.action(description=_("Confirm: exclude from the rates"))
def confirm_reviews(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, True)


@admin.action(description=_("Reject: the ticket counts"))
def reject_reviews(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, False)


@admin.register(ExclusionReview)
class ExclusionReviewAdmin(admin.ModelAdmin):
    list_display = ("ticket", "unit", "state", "created_at", "decided_at")
    list_filter = ("state",)
    raw_id_fields = ("ticket",)
    readonly_fields = ("state", "created_at", "created_by", "decided_at", "decided_by")
    actions = [confirm_reviews, reject_reviews]


@admin.register(PublishedRanking)
class PublishedRankingAdmin(ReadOnlyLog):
    """Who published which month's rankings when, and why a month was republished. Never edited: a correction is
    a new edition (the rankings page, an administrator, a reason)."""

    list_display = ("month", "unit_class", "edition", "version", "published_at", "published_by", "reason")
    list_filter = ("unit_class",)
    date_hierarchy = "month"
    exclude = ("rows",)

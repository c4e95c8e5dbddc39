"""Back-office configuration of the catalogue: categories, time-limit classes, duties."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from jiesu.categories.models import Category, Duty, TimeLimitClass
from jiesu.categories.services import DISTRICT_DEPARTMENT_PREFIX, DISTRICT_DEPARTMENTS


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 0
    raw_id_fields = ("territory", "unit")
    fields = ("role", "negative", "scope", "unit_kind", "unit", "territory", "note")
    readonly_fields = ("scope",)
    verbose_name_plural = _("dispatch catalogue entries")


class ChildInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = ("code", "name", "request_type", "time_limit_class", "active")
    show_change_link = True
    verbose_name_plural = _("subcategories")


class LeafFilter(admin.SimpleListFilter):
    title = _("leaf")
    parameter_name = "leaf"

    def lookups(self, request, model_admin):
        return (("yes", _("Leaves only")), ("no", _("Branches only")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(children__isnull=False)
        if self.value() == "no":
            return queryset.filter(children__isnull=False).distinct()
        return queryset


class StandardFilter(admin.SimpleListFilter):
    title = _("GB/T 47678.5")
    parameter_name = "gbt"

    def lookups(self, request, model_admin):
        return (("yes", _("GB/T matters")), ("no", _("Own categories")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(gbt_code="")
        if self.value() == "no":
            return queryset.filter(gbt_code="")
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "request_type", "time_limit_class", "gbt_code", "active")
    list_display_links = ("code", "name")
    list_filter = ("level", LeafFilter, StandardFilter, "request_type", "time_limit_class", "active")
    search_fields = ("code", "name", "keywords", "gbt_code", "parent__name")
    raw_id_fields = ("parent",)
    list_select_related = ("parent", "time_limit_class")
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("code", "name", "parent", "level", "active")}),
        (_("Handling defaults"), {"fields": ("request_type", "time_limit_class", "gbt_code")}),
        (_("Classifier"), {"fields": ("keywords",)}),
    )
    inlines = (ChildInline, DutyInline)

    def save_model(self, request, obj, form, change):
        obj.level = obj.parent.level + 1 if obj.parent_id else 1
        super().save_model(request, obj, form, change)


@admin.register(TimeLimitClass)
class TimeLimitClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "dispatch", "sign", "contact", "reply", "sort")
    list_editable = ("sort",)
    fieldsets = (
        (None, {"fields": ("code", "name", "sort")}),
        (_("Dispatch"), {"fields": (("dispatch_amount", "dispatch_unit"),)}),
        (_("Sign"), {"fields": (("sign_amount", "sign_unit"),)}),
        (_("First contact"), {"fields": (("contact_amount", "contact_unit"),)}),
        (_("Reply"), {"fields": (("reply_amount", "reply_unit"),)}),
    )

    def _step(self, obj, step):
        amount, _unit = obj.limit(step)
        return f"{amount} {getattr(obj, f'get_{step}_unit_display')()}"

    @admin.display(description=_("dispatch within"))
    def dispatch(self, obj):
        return self._step(obj, "dispatch")

    @admin.display(description=_("sign within"))
    def sign(self, obj):
        return self._step(obj, "sign")

    @admin.display(description=_("first contact within"))
    def contact(self, obj):
        return self._step(obj, "contact")

    @admin.display(description=_("reply within"))
    def reply(self, obj):
        return self._step(obj, "reply")


def target_label(kind):
    """A duty's unit kind in words: street → 所在街道, district_department:SCJ → 所在区的市场监督管理局."""
    if kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
        abbr = kind[len(DISTRICT_DEPARTMENT_PREFIX):]
        return _("the place's district: %(department)s") % {"department": DISTRICT_DEPARTMENTS.get(abbr, abbr)}
    return {"street": _("the place's street"), "district": _("the place's district"),
            "community": _("the place's community"), "grid": _("the place's grid")}.get(kind, kind)


class TargetKindFilter(admin.SimpleListFilter):
    title = _("unit kind")
    parameter_name = "unit_kind"

    def lookups(self, request, model_admin):
        kinds = Duty.objects.exclude(unit_kind="").values_list("unit_kind", flat=True).distinct().order_by("unit_kind")
        return [(kind, target_label(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(unit_kind=self.value()) if self.value() else queryset


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    """The dispatch catalogue. Citywide entries come from the catalogue's CSV files (docs/categories.md): setup
    loads them again, so a change here to one of them lasts until then; a local rule (with a territory) stays."""

    list_display = ("id", "category", "category_code", "territory", "target", "role", "negative")
    list_display_links = ("id", "category")
    list_filter = ("role", "negative", TargetKindFilter, "unit__kind", "category__level")
    search_fields = ("=id", "category__code", "category__name", "unit__code", "unit__name", "unit_kind",
                     "territory__name", "note")
    raw_id_fields = ("category", "territory", "unit")
    list_select_related = ("category", "territory", "unit")
    readonly_fields = ("scope",)
    list_per_page = 100

    @admin.display(description=_("goes to"), ordering="unit_kind")
    def target(self, obj):
        return obj.unit.name if obj.unit_id else target_label(obj.unit_kind)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.territory_id is None:
            messages.warning(request, _("A citywide entry is kept in step with the catalogue's CSV files: the next "
                                        "`manage.py seed_reference` (also run by setup) restores them. Change the "
                                        "CSV for the whole city, or give the entry a territory for a local rule."))

    @admin.display(description=_("code"), ordering="category__code")
    def category_code(self, obj):
        return obj.category.code

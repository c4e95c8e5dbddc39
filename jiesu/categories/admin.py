"""Back-office configuration of the catalogue: categories, time-limit classes, duties."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from jiesu.categories.models import Category, Duty, TimeLimitClass
from jiesu.categories.services import stop_following_catalogue, target_label

#: Fields whose change does not part a record from the catalogue files (the loader leaves them alone).
_NOT_FROM_THE_FILES = {"active", "follows_catalogue"}


class KeptAsEditedHere:
    """A record of the catalogue files changed here stops following them (`follows_catalogue`), so that setup's
    seed_reference does not undo the change; ticking the box again hands it back to the files."""

    def changed_here(self, request, obj, form, change):
        if not change or not set(form.changed_data) - _NOT_FROM_THE_FILES:
            return
        if "follows_catalogue" in form.changed_data and obj.follows_catalogue:
            return  # ticked again together with the change: the files' version comes back at the next setup
        if obj.follows_catalogue:
            obj.follows_catalogue = False
            say_kept(request, obj)


def say_kept(request, obj):
    """Say so; how to hand it back only to who may (a dispatch lead changes duties, not categories)."""
    said = _("%(what)s “%(name)s” is now kept as changed here: setup (seed_reference) no longer changes it from "
             "the catalogue's files.") % {"what": obj._meta.verbose_name.capitalize(), "name": obj}
    if request.user.has_perm(f"{obj._meta.app_label}.change_{obj._meta.model_name}"):
        said += " " + _("Tick “follows the catalogue files” to hand it back.")
    messages.info(request, said)


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
class CategoryAdmin(KeptAsEditedHere, admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "request_type", "time_limit_class", "gbt_code", "active")
    list_display_links = ("code", "name")
    list_filter = ("level", LeafFilter, StandardFilter, "request_type", "time_limit_class", "active")
    search_fields = ("code", "name", "keywords", "gbt_code", "parent__name")
    raw_id_fields = ("parent",)
    list_select_related = ("parent", "time_limit_class")
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("code", "name", "parent", "level", "active", "follows_catalogue")}),
        (_("Handling defaults"), {"fields": ("request_type", "time_limit_class", "gbt_code")}),
        (_("Classifier"), {"fields": ("keywords",)}),
    )
    inlines = (ChildInline, DutyInline)

    def save_model(self, request, obj, form, change):
        obj.level = obj.parent.level + 1 if obj.parent_id else 1
        self.changed_here(request, obj, form, change)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Duty and citywide_changed(formset):
            touched = [formset.instance]
        elif formset.model is Category:  # subcategories edited in the rows of their parent's page
            touched = [c for c, fields in formset.changed_objects if set(fields) - _NOT_FROM_THE_FILES]
        else:
            touched = []
        for category in touched:
            if stop_following_catalogue(Category, [category.pk]):
                say_kept(request, category)


def citywide_changed(formset):
    """Whether a duty formset added, changed or deleted a citywide entry (one without a territory), or made one
    local or citywide (its territory changed)."""
    return (any(d.territory_id is None for d in [*formset.new_objects, *formset.deleted_objects])
            or any(d.territory_id is None or "territory" in fields for d, fields in formset.changed_objects))


@admin.register(TimeLimitClass)
class TimeLimitClassAdmin(KeptAsEditedHere, admin.ModelAdmin):
    list_display = ("code", "name", "dispatch", "sign", "contact", "reply", "sort", "follows_catalogue")
    list_editable = ("sort",)
    fieldsets = (
        (None, {"fields": ("code", "name", "sort", "follows_catalogue")}),
        (_("Dispatch"), {"fields": (("dispatch_amount", "dispatch_unit"),)}),
        (_("Sign"), {"fields": (("sign_amount", "sign_unit"),)}),
        (_("First contact"), {"fields": (("contact_amount", "contact_unit"),)}),
        (_("Reply"), {"fields": (("reply_amount", "reply_unit"),)}),
    )

    def save_model(self, request, obj, form, change):
        self.changed_here(request, obj, form, change)
        super().save_model(request, obj, form, change)

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
    """The dispatch catalogue. Citywide entries come from the catalogue's CSV files (docs/categories.md); once one
    of a category's is added, changed or deleted here, setup leaves that category's citywide entries as they are
    (`Category.follows_catalogue`). A local rule (with a territory) is never touched by setup."""

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
        was_citywide = change and form.initial.get("territory") is None
        touched = [obj.category_id] if obj.territory_id is None or was_citywide else []
        if was_citywide and "category" in form.changed_data:
            touched.append(form.initial.get("category"))
        self.keep_categories(request, touched)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.keep_categories(request, [obj.category_id] if obj.territory_id is None else [])

    def delete_queryset(self, request, queryset):
        touched = list(queryset.filter(territory__isnull=True).values_list("category_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        self.keep_categories(request, touched)

    @staticmethod
    def keep_categories(request, ids):
        """A citywide entry changed here: its categories' citywide entries are kept as they are by setup."""
        for category in Category.objects.filter(pk__in=[i for i in ids if i], follows_catalogue=True):
            stop_following_catalogue(Category, [category.pk])
            say_kept(request, category)

    @admin.display(description=_("code"), ordering="category__code")
    def category_code(self, obj):
        return obj.category.code

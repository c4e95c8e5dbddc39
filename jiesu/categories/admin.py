"""Back-office configuration of the catalogue: categories, time-limit classes, duties."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiesu.categories.models import (FIXED_UNIT_KINDS, IDENTITY_FIELDS, TERRITORY_KINDS, Category, Duty,
                                     TimeLimitClass, find_conflicts)
from jiesu.categories.services import (DISTRICT_DEPARTMENT_PREFIX, DISTRICT_DEPARTMENTS, TERRITORIAL_TARGETS,
                                       stop_following_catalogue, target_label)
from jiesu.dispatch.wording import word
from jiesu.units.models import UnitKind

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


def unit_kind_choices():
    """单位类型 in words, as the list's 「派往」 column says them: 所在街道, 所在区的城市管理委员会…"""
    kinds = [*TERRITORIAL_TARGETS, *(DISTRICT_DEPARTMENT_PREFIX + abbr for abbr in DISTRICT_DEPARTMENTS)]
    return [("", gettext("— none: a fixed unit, chosen under “unit” —")), *((k, target_label(k)) for k in kinds)]


class UnitKindChoice(forms.ChoiceField):
    """A unit kind from the list; the kind the catalogue's files store with a fixed unit (department, enterprise,
    hotline_center) is taken as it comes (Duty.clean keeps it in step with the unit)."""

    def valid_value(self, value):
        return value in FIXED_UNIT_KINDS or super().valid_value(value)


class DutyForm(forms.ModelForm):
    unit_kind = UnitKindChoice(label=_("unit kind"), required=False, choices=unit_kind_choices, help_text=_(
        "Instead of a fixed unit: that unit of the ticket's place (属地), or that department of the place's "
        "district."))

    class Meta:
        model = Duty
        exclude = ("scope",)  # follows from where the entry goes (Duty.clean): shown, not typed (ScopeShown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.unit_id:  # the kind stored with a fixed unit is the unit's own: the list shows none
            self.initial["unit_kind"] = ""

    def clean(self):
        """A field refused here leaves the instance without the typed value: Duty.clean is told not to look for
        a duplicate with what is left (an unknown territory would read as the whole city)."""
        cleaned = super().clean()
        self.instance.unchecked_fields = frozenset(f for f in IDENTITY_FIELDS if self.has_error(f))
        return cleaned


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's search by name, answered by NamesakesApart; without the server error Django's widget gives when
    the value posted is no id at all (a hand-made request; an id typed where the raw-id box was): the field's own
    error says so instead."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if is_id(self.field.remote_field.model, v)], attr)


def is_id(model, value):
    try:
        model._meta.pk.to_python(value)
    except ValidationError:
        return False
    return True


def category_label(category):
    """占道经营 — 城市管理部件与事件 / … · 90.09.09006: the catalogue repeats names across its trees (占道经营 is also
    03.01.01)."""
    parents, node = [], category.parent
    while node is not None:
        parents.append(node.name)
        node = node.parent
    path = " / ".join(reversed(parents))
    return f"{category.name} — {path} · {category.code}" if path else f"{category.name} · {category.code}"


def unit_label(unit):
    """八里庄街道（朝阳区）: a unit below a district with its district, unless its name says it (东城区城市管理委员会)."""
    district = unit.district if unit.district_id and unit.district_id != unit.pk else None
    if district is None or unit.name.startswith(district.name):
        return unit.name
    return word(("place_label", {"unit": unit.name, "district": district.name}))


def apart(obj):
    """A category or a unit as told apart from its namesakes; anything else by its name."""
    from jiesu.units.models import Unit

    return category_label(obj) if isinstance(obj, Category) else unit_label(obj) if isinstance(obj, Unit) else str(obj)


class NamesakesApart(AutocompleteJsonView):
    """Django's search-by-name answers, each told apart from its namesakes (apart): two 占道经营, two 八里庄街道."""

    def get_queryset(self):
        found = super().get_queryset()
        if self.source_field.model is Duty and self.source_field.name == "territory":
            found = found.filter(kind__in=TERRITORY_KINDS)  # the areas a duty may apply to, not departments
        if found.model is Category:
            return found.select_related("parent", "parent__parent")
        return found.select_related("district") if hasattr(found.model, "district") else found

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": apart(obj)}


class ByName:
    """For a ModelAdmin or an inline: its autocomplete_fields (found by name) with the widget above, searching at
    the ModelAdmin's own URL (…/autocomplete/, NamesakesApart); an inline searches at its model's admin's."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            widget = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            widget.url_name = f"%s:{self.opts.app_label}_{self.opts.model_name}_autocomplete"
            kwargs["widget"] = widget
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = apart
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view(NamesakesApart.as_view(admin_site=self.admin_site))
        return [path("autocomplete/", view, name=f"{self.opts.app_label}_{self.opts.model_name}_autocomplete"),
                *super().get_urls()]


def titled(title):
    """A filter of a field's choices headed `title`: two fields both called "kind" would both be 「以 类型」."""

    class Titled(admin.ChoicesFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


class ScopeShown:
    """A duty's scope (属性) follows from where it goes (Duty.clean): an entry not saved yet has none to show."""

    @admin.display(description=_("scope"))
    def scope_shown(self, obj):
        return obj.get_scope_display() if obj is not None and obj.pk else _("— (set from where it goes, on saving)")


class DutyInline(ScopeShown, ByName, admin.TabularInline):
    model = Duty
    form = DutyForm
    extra = 0
    autocomplete_fields = ("territory", "unit")
    fields = ("role", "negative", "scope_shown", "unit_kind", "unit", "territory", "note")
    readonly_fields = ("scope_shown",)
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
        if formset.model is Duty:
            warn_of_conflicts(request, [*formset.new_objects, *(d for d, _fields in formset.changed_objects)])
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
        return [(kind, kind_words(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(unit_kind=self.value()) if self.value() else queryset


def kind_words(kind):
    """A stored unit kind in words: 所在街道; a fixed unit's own kind as 固定单位（部门）."""
    if kind in FIXED_UNIT_KINDS:
        return gettext("fixed unit (%(kind)s)") % {"kind": UnitKind(kind).label}
    return target_label(kind)


class ConflictFilter(admin.SimpleListFilter):
    """The entries that contradict another (find_conflicts over the whole catalogue: a few thousand rows)."""

    title = _("contradictions")
    parameter_name = "conflicting"

    def lookups(self, request, model_admin):
        return (("yes", _("Entries contradicting another")),)

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        duties = list(Duty.objects.select_related("territory", "unit").defer("territory__geometry",
                                                                               "unit__geometry"))
        parents = dict(Category.objects.values_list("id", "parent_id"))
        ids = {d.pk for c in find_conflicts(duties, parents) for d in (c.first, c.second)}
        return queryset.filter(pk__in=ids)


def conflict_message(conflict):
    """A Conflict in words, naming both entries."""
    if conflict.kind == "negative":
        return gettext("#%(negative)s (negative list) bars %(unit)s from “%(category)s”: it contradicts the lead "
                       "entry #%(lead)s.") % {"negative": conflict.first.pk, "unit": conflict.first.target_name(),
                                              "category": conflict.first.category.name, "lead": conflict.second.pk}
    return gettext("#%(first)s and #%(second)s name different lead units (%(units)s) for the same category in the "
                   "same territory: check which one is right.") % {
        "first": conflict.first.pk, "second": conflict.second.pk,
        "units": word(("units_sep", [conflict.first.target_name(), conflict.second.target_name()]))}


def warn_of_conflicts(request, duties):
    """Warn, after the save, of each contradiction the saved entries take part in (once each)."""
    said = []
    for duty in duties:
        for conflict in duty.conflicts():
            message = conflict_message(conflict)
            if message not in said:
                said.append(message)
                messages.warning(request, message)


@admin.register(Duty)
class DutyAdmin(ScopeShown, ByName, admin.ModelAdmin):
    """The dispatch catalogue. Citywide entries come from the catalogue's CSV files (docs/categories.md); once one
    of a category's is added, changed or deleted here, setup leaves that category's citywide entries as they are
    (`Category.follows_catalogue`). A local rule (with a territory) is never touched by setup. Saving an entry
    that contradicts others warns, naming them (find_conflicts)."""

    form = DutyForm
    list_display = ("id", "category", "category_code", "territory", "target", "role", "negative")
    list_display_links = ("id", "category")
    list_filter = ("role", "negative", ConflictFilter, TargetKindFilter,
                   ("unit__kind", titled(_("kind of the fixed unit"))), "category__level")
    search_fields = ("=id", "category__code", "category__name", "unit__code", "unit__name", "unit_kind",
                     "territory__name", "note")
    autocomplete_fields = ("category", "territory", "unit")
    list_select_related = ("category", "territory", "unit")
    readonly_fields = ("scope_shown",)
    list_per_page = 100

    @admin.display(description=_("goes to"), ordering="unit_kind")
    def target(self, obj):
        return obj.target_name()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        was_citywide = change and form.initial.get("territory") is None
        touched = [obj.category_id] if obj.territory_id is None or was_citywide else []
        if was_citywide and "category" in form.changed_data:
            touched.append(form.initial.get("category"))
        self.keep_categories(request, touched)
        warn_of_conflicts(request, [obj])

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

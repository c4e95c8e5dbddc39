"""Back-office configuration of the org tree (组织)."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.units import geometry as geo
from jiesu.units import rules, services
from jiesu.units.models import Unit


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = "__all__"

    def clean_geometry(self):
        """Refuse a boundary the point-in-polygon index could not use, saying why."""
        geometry = self.cleaned_data.get("geometry")
        if geometry in (None, "", {}):
            return None
        try:
            geo.checked_polygon(geometry, repair=False)
        except geo.GeometryError as exc:
            reason = services.GEOMETRY_REASONS.get(exc.reason, exc.reason)
            raise forms.ValidationError(reason % {"detail": exc.detail}) from exc
        return geometry


class UnitActionForm(ActionForm):
    into = forms.CharField(label=_("into (code)"), required=False, max_length=20,
                           help_text=_("for “Merge into”: the code of the unit the selected units merge into"))


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitForm
    action_form = UnitActionForm
    list_display = ("code", "name", "kind", "parent", "district_of", "schematic", "active")
    list_filter = ("kind", "schematic", "active")
    search_fields = ("name", "code", "aliases")
    raw_id_fields = ("parent",)
    list_select_related = ("parent", "district")
    readonly_fields = ("path", "district", "street")
    list_per_page = 50
    actions = ["retile", "merge_into"]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "parent", "aliases", "phone", "active")}),
        (_("Place"), {"fields": ("schematic", "center_lon", "center_lat", "geometry")}),
        (_("Tree"), {"classes": ("collapse",), "fields": ("path", "district", "street")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("geometry", "parent__geometry", "district__geometry")

    def get_deleted_objects(self, objs, request):
        """A unit still holding open work (jiesu.units.rules) is not deleted: its duties (派单目录), grid members
        and the like would go with it. Listed as protected, so the admin refuses and says why."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for unit in objs:
            work = rules.open_work_words(unit)
            if work:
                protected.append(_("%(unit)s (%(code)s) still holds %(work)s") % {
                    "unit": unit.name, "code": unit.code, "work": work})
        return deleted, counts, perms_needed, protected

    def get_search_results(self, request, queryset, search_term):
        """A picker searching here (an admin autocomplete: the dispatch catalogue's unit, a user's unit …) offers
        active units only; this list still shows every unit."""
        found, may_repeat = super().get_search_results(request, queryset, search_term)
        if request.path.rstrip("/").endswith("/autocomplete"):
            found = found.filter(active=True)
        return found, may_repeat

    @admin.display(description=_("district"), ordering="district__code")
    def district_of(self, obj):
        """The district (its field has no verbose name: the column would be headed in English)."""
        return obj.district

    def save_model(self, request, obj, form, change):
        old_path, old_code, old_name = (Unit.objects.filter(pk=obj.pk).values_list("path", "code", "name").first()
                                        if change else None) or (None, None, None)
        if old_name and old_name != obj.name:  # renamed (机构改革): people still say the old name
            obj.aliases = services.aliases_with(obj.aliases, old_name, obj.name)
        super().save_model(request, obj, form, change)
        if old_path and (old_path != obj.path or old_code != obj.code):
            services.refresh_subtree(obj, old_path, old_code, user=request.user)

    @admin.action(description=_("Re-tile the schematic units below the selected units"))
    def retile(self, request, queryset):
        result = services.retile_below(list(queryset))
        self.message_user(request, ngettext("%(n)d schematic unit re-tiled.", "%(n)d schematic units re-tiled.",
                                            result["tiled"]) % {"n": result["tiled"]}, messages.SUCCESS)
        if result["skipped"]:
            self.message_user(request, _("Left alone (real boundaries below them): %(codes)s")
                              % {"codes": ", ".join(result["skipped"])}, messages.WARNING)

    @admin.action(description=_("Merge the selected units into the unit coded below (街道合并, 机构改革)"))
    def merge_into(self, request, queryset):
        code = (request.POST.get("into") or "").strip()
        into = Unit.objects.filter(code=code).first()
        if into is None:
            self.message_user(request, _("Into: no unit has the code “%(code)s”.") % {"code": code}, messages.ERROR)
            return
        for source in queryset.order_by("code"):
            try:
                done = services.merge_into(source, into, user=request.user)
            except services.MergeRefused as exc:
                self.message_user(request, _("%(source)s was not merged: %(reason)s") % {
                    "source": source.name, "reason": exc}, messages.ERROR)
                continue
            self.message_user(request, _(
                "%(source)s merged into %(into)s and closed: %(children)d units below it, %(tickets)d tickets "
                "placed at it, %(users)d users and %(duties)d duties moved.") % {
                "source": source.name, "into": into.name, **{k: done.get(k, 0) for k in
                                                             ("children", "tickets", "users", "duties")}},
                messages.SUCCESS)

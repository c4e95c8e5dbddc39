"""Back office: the gazetteer (地名库), the auto-dispatch rules, the desk's suggestion log and the model's
retrainings (both read only)."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.categories.admin import ByName, category_label, titled
from jiesu.dispatch import accuracy, router
from jiesu.dispatch.gazetteer import seed_gazetteer
from jiesu.dispatch.memory import MOST_ROWS
from jiesu.dispatch.models import (AUTO_THRESHOLD_MIN, AutoDispatchRule, DispatchSuggestion, EntryKind,
                                   EntrySource, GazetteerEntry, RetrainRun, stored_point)
from jiesu.tickets.forms import COORD_SYSTEMS, CoordinateField
from jiesu.tickets.models import Ticket


class GazetteerEntryForm(forms.ModelForm):
    """The point typed in any of China's datums and stored in WGS-84 (models.stored_point), as the API, the
    import and `jiesu gazetteer load` take it; the refusals are the model's (GazetteerEntry.problems). A new name
    found in many recent addresses is saved only once confirmed (save_common_name, shown then)."""

    lon = CoordinateField(label=_("longitude"), required=False)
    lat = CoordinateField(label=_("latitude"), required=False)
    coord_system = forms.ChoiceField(label=_("coordinate system"), choices=COORD_SYSTEMS, initial="wgs84",
                                     required=False, help_text=_(
                                         "The map the point was read from: a GCJ-02 or BD-09 point read as WGS-84 "
                                         "lies 0.5–1 km off, often in another street. Stored as WGS-84."))

    save_common_name = forms.BooleanField(label=_("Save it all the same"), required=False,
                                          widget=forms.HiddenInput, help_text=_(
                                              "Tick when the name is this place's own all the same: addresses "
                                              "naming it and no finer place will be sent here."))

    class Meta:
        model = GazetteerEntry
        fields = ("name", "kind", "unit", "lon", "lat", "coord_system", "active", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields and not self.unit_name_kept():  # 单位名称: the org tree's, not typed by hand
            kind = self.fields["kind"]  # not offered; still a valid choice, so that clean_kind says why
            kind.widget.choices = [c for c in kind.choices if c[0] != EntryKind.UNIT]

    def unit_name_kept(self):
        """Whether the entry is a unit's own name already (an org-tree entry being edited keeps its kind)."""
        return self.instance.pk is not None and self.instance.kind == EntryKind.UNIT

    def clean_kind(self):
        kind = self.cleaned_data.get("kind")
        if kind == EntryKind.UNIT and not self.unit_name_kept():
            raise forms.ValidationError(_("A unit's own name comes from the org tree (the action “Bring the whole "
                                          "gazetteer in step with the org tree”): for a name added by hand choose "
                                          "alias, road, landmark or residential compound."))
        return kind

    def clean(self):
        cleaned = super().clean()
        lon, lat, system = cleaned.get("lon"), cleaned.get("lat"), cleaned.get("coord_system") or "wgs84"
        self.typed_point = (lon, lat, system)
        cleaned["lon"], cleaned["lat"] = stored_point(lon, lat, system)
        self.confirm_common_name(cleaned)
        return cleaned

    def confirm_common_name(self, cleaned):
        """A new name (or a name given a new unit) found in many recent addresses: refused with the share, and
        the "save it all the same" box shown, until that is ticked."""
        name_is_new = self.instance.pk is None or {"name", "unit"} & set(self.changed_data)
        if not (name_is_new and cleaned.get("active") and cleaned.get("name") and cleaned.get("unit")):
            return
        if cleaned.get("save_common_name"):
            return
        said = GazetteerEntry(name=cleaned["name"], unit=cleaned["unit"]).common_name_warning()
        if said:
            self.fields["save_common_name"].widget = forms.CheckboxInput()
            self.add_error("name", _("%(warning)s To save it all the same, tick “%(box)s” below.") % {
                "warning": said, "box": self.fields["save_common_name"].label})


@admin.register(GazetteerEntry)
class GazetteerEntryAdmin(ByName, admin.ModelAdmin):
    """The gazetteer. A name that would re-route addresses is refused (GazetteerEntry.name_problem); one that
    another place carries too is saved with a warning naming it."""

    form = GazetteerEntryForm
    list_display = ("name", "kind", "unit", "unit_code", "source", "active")
    list_filter = (("kind", titled(_("kind of name"))), "source", "active",
                   ("unit__kind", titled(_("kind of unit it lies in"))))
    search_fields = ("name", "unit__name", "unit__code", "note")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    readonly_fields = ("source",)
    list_per_page = 100
    actions = ["activate", "deactivate", "reseed"]
    fields = ("name", "kind", "unit", "lon", "lat", "coord_system", "active", "note", "save_common_name", "source")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("unit__geometry")

    @admin.display(description=_("unit code"), ordering="unit__code")
    def unit_code(self, obj):
        return obj.unit.code

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "unit":
            field.error_messages["invalid_choice"] = _("A place name lies in a grid, community, street or district: "
                                                       "choose one of those.")
        return field

    def save_model(self, request, obj, form, change):
        """An entry made or changed here is the administrator's: seeding never deletes or resets it. A built-in
        entry given another name or unit is saved as a new one, and the original is kept switched off: seeding
        finds it and does not bring it back."""
        if change and obj.source != EntrySource.MANUAL and {"name", "unit"} & set(form.changed_data):
            GazetteerEntry.objects.filter(pk=obj.pk).update(active=False, source=EntrySource.MANUAL)
            obj.pk = None
        obj.source = EntrySource.MANUAL
        super().save_model(request, obj, form, change)
        for said in obj.warnings(getattr(form, "typed_point", None), common=False,
                                 name_is_new=not change or bool({"name", "unit"} & set(form.changed_data))):
            self.message_user(request, said, messages.WARNING)

    def delete_view(self, request, object_id, extra_context=None):
        """An entry that would come back (returning_entries) is switched off when its deletion is confirmed, and the
        confirmation page says so before."""
        entry = self.get_object(request, unquote(object_id))
        if entry is None or entry.source == EntrySource.MANUAL:
            return super().delete_view(request, object_id, extra_context)
        if request.method == "POST" and self.has_delete_permission(request, entry):
            self.switch_off_instead(request, GazetteerEntry.objects.filter(pk=entry.pk))
            return HttpResponseRedirect(reverse("admin:dispatch_gazetteerentry_change", args=[entry.pk],
                                                current_app=self.admin_site.name))
        return super().delete_view(request, object_id, {**(extra_context or {}),
                                                        "switched_off_instead": instead_of_deleting([entry])})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (type(self).delete_or_switch_off, name, description)
        return actions

    def delete_or_switch_off(self, request, queryset):
        """Django's bulk delete, whose confirmation says which entries would come back and are switched off
        instead; once confirmed, those are switched off and the others deleted (with Django's count of them)."""
        if request.POST.get("post") and self.has_delete_permission(request):
            switched = self.switch_off_instead(request, queryset)
            queryset = queryset.exclude(pk__in=switched)
            if not queryset.exists():
                return None
        response = delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["switched_off_instead"] = instead_of_deleting(queryset)
        return response

    def delete_model(self, request, obj):
        self.delete_queryset(request, GazetteerEntry.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Entries that would come back (returning_entries) are switched off, the others deleted."""
        switched = self.switch_off_instead(request, queryset)
        queryset.exclude(pk__in=switched).delete()
        router.invalidate()

    def switch_off_instead(self, request, queryset) -> set:
        """Switches off the entries of `queryset` a deletion would not rid of (returning_entries) and makes them
        the administrator's (manual: neither seeding nor a load touches them again); says so; returns their ids."""
        returning = returning_entries(queryset)
        switched = {pk for pks in returning.values() for pk in pks}
        if not switched:
            return switched
        GazetteerEntry.objects.filter(pk__in=switched).update(active=False, source=EntrySource.MANUAL)
        router.invalidate()
        built_in, loaded = len(switched) - len(returning.get(EntrySource.FILE, ())), len(returning.get(
            EntrySource.FILE, ()))
        if built_in:
            self.message_user(request, ngettext(
                "%(n)d built-in entry was switched off instead (the org tree's sync would bring it back).",
                "%(n)d built-in entries were switched off instead (the org tree's sync would bring them back).",
                built_in) % {"n": built_in}, messages.WARNING)
        if loaded:
            self.message_user(request, ngettext(
                "%(n)d entry loaded from a file was switched off instead (loading the file again would bring it "
                "back); kept as entered by hand, loads leave it alone.",
                "%(n)d entries loaded from a file were switched off instead (loading the file again would bring "
                "them back); kept as entered by hand, loads leave them alone.", loaded) % {"n": loaded},
                messages.WARNING)
        return switched

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

    def changelist_view(self, request, extra_context=None):
        """The reseed action works on the whole gazetteer: it needs no rows ticked (Django's actions do)."""
        if (request.method == "POST" and request.POST.get("action") == "reseed"
                and not request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            first = GazetteerEntry.objects.values_list("pk", flat=True).first()
            if first is not None:
                request.POST = request.POST.copy()
                request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, [str(first)])
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Bring the whole gazetteer in step with the org tree (no rows need ticking)"))
    def reseed(self, request, queryset):
        stats = seed_gazetteer()
        router.invalidate()
        self.message_user(request, _("%(created)d entries created, %(deleted)d removed.") % stats,
                          messages.SUCCESS)


def returning_entries(entries) -> dict:
    """{source: [ids]} of the entries a deletion would not rid of: built-in ones (the org tree's sync brings them
    back) and loaded ones (loading the file again brings them back). Entries made or changed by hand are not
    among them."""
    found = {}
    for pk, source in ((e.pk, e.source) for e in entries):
        if source != EntrySource.MANUAL:
            found.setdefault(source, []).append(pk)
    return found


def instead_of_deleting(entries) -> list:
    """What the delete confirmation says of the entries a deletion would not rid of."""
    returning = returning_entries(entries)
    loaded = len(returning.pop(EntrySource.FILE, ()))
    built_in = sum(map(len, returning.values()))
    said = []
    if built_in:
        said.append(ngettext(
            "%(n)d of these is built in (from the org tree or the shipped list): the org tree's sync would bring "
            "it back.", "%(n)d of these are built in (from the org tree or the shipped list): the org tree's sync "
            "would bring them back.", built_in) % {"n": built_in})
    if loaded:
        said.append(ngettext(
            "%(n)d of these was loaded from a file (jiesu gazetteer load): loading the file again would bring it "
            "back.", "%(n)d of these were loaded from a file (jiesu gazetteer load): loading the file again would "
            "bring them back.", loaded) % {"n": loaded})
    if said:
        said.append(_("They will be switched off instead of deleted, and kept as entered by hand: the locator "
                      "ignores them, and neither the sync nor a load changes them again. Switch one on to use it "
                      "again."))
    return said


class CategoryChoice(forms.ModelChoiceField):
    """A category chosen by its name, with its path and code (the catalogue repeats names across its trees:
    占道经营 is 03.01.01 and 90.09.09006): typing the first characters of a name finds it."""

    def label_from_instance(self, obj):
        return category_label(obj)


class PercentThreshold(forms.FloatField):
    """The threshold typed and shown as a percentage (as the accuracy page and the rule's name show it), stored
    as the fraction the engine's confidence is compared with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": "any", "style": "width: 6em"})

    def prepare_value(self, value):
        if isinstance(value, float):  # the stored fraction (a typed value comes back as text: shown as typed)
            return f"{round(value * 100, 2):g}"
        return value

    def clean(self, value):
        percent = super().clean(value)
        if percent is None:
            return None
        if not AUTO_THRESHOLD_MIN * 100 <= percent <= 100:
            hint = (_(" (%(v)s looks like a fraction: %(p)s %% is typed %(p)s)")
                    % {"v": f"{percent:g}", "p": f"{percent * 100:g}"} if 0 < percent <= 1 else "")
            raise forms.ValidationError(
                _("Type the threshold as a percentage from 50 to 100, e.g. 80 for 80 %%%(hint)s. Below one half "
                  "the top suggestion is more often wrong than right.") % {"hint": hint}, code="threshold")
        return round(percent / 100, 4)

    def has_changed(self, initial, data):
        try:
            typed = super().to_python(data)
        except forms.ValidationError:
            return True
        if typed is None or initial is None:
            return typed is not None or initial is not None
        return round(typed / 100, 4) != round(float(initial), 4)


class RuleThresholdForm(forms.ModelForm):
    """A rule's threshold as a percentage: the list's inline edits, and the rule's own form."""

    threshold = PercentThreshold(label=_("confidence threshold (percent)"), help_text=_(
        "A percentage from 50 to 100: the top suggestion's confidence (probability × routing confidence), as the "
        "desk and the accuracy page show it, must reach it. The accuracy page's auto-dispatch thresholds show how "
        "often the dispatchers sent suggestion #1 at each. Nothing is dispatched automatically while the desk runs "
        "on the cold-start model (its percentages only rank)."))

    class Meta:
        model = AutoDispatchRule
        fields = ("threshold", "enabled")


class AutoDispatchRuleForm(RuleThresholdForm):
    category = CategoryChoice(queryset=None, label=_("category"),
                              help_text=_("Applies to this category and every category below it."))

    class Meta:
        model = AutoDispatchRule
        fields = ("category", "threshold", "enabled", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            from django.db.models import Q

            from jiesu.categories.models import Category

            current = self.instance.category_id if self.instance.pk else None
            self.fields["category"].queryset = (Category.objects.filter(Q(active=True) | Q(pk=current))
                                                .select_related("parent", "parent__parent").order_by("code"))


@admin.register(AutoDispatchRule)
class AutoDispatchRuleAdmin(admin.ModelAdmin):
    """Per-category thresholds; nothing is auto-dispatched until a rule is enabled (docs/dispatch-desk.md). The
    category is chosen by name (AutoDispatchRuleForm), the threshold typed as a percentage."""

    form = AutoDispatchRuleForm
    list_display = ("category_path", "threshold", "enabled", "paused", "note")
    list_display_links = ("category_path",)
    list_editable = ("threshold", "enabled")
    list_filter = ("enabled", ("paused_at", admin.EmptyFieldListFilter))
    search_fields = ("category__name", "category__code")
    list_select_related = ("category", "category__parent", "category__parent__parent")
    readonly_fields = ("paused", "paused_by", "pause_seen_at", "pause_seen_by", "resumed_at", "resumed_by",
                       "threshold_raised_at")
    actions = ("switch_back_on",)

    def get_changelist_form(self, request, **kwargs):
        return RuleThresholdForm

    def get_fields(self, request, obj=None):
        """The rule's own fields, then (once the worker paused it or its threshold was raised) the pause, who saw it
        or switched it on, and when the threshold was raised."""
        own = ["category", "threshold", "enabled", "note"]
        shown = obj is not None and (obj.paused_at or obj.resumed_at or obj.threshold_raised_at)
        return own + list(self.readonly_fields) if shown else own

    @admin.display(description=_("paused by the worker"))
    def paused(self, rule):
        """Why and when the worker paused the rule (accuracy.pause_reason), while it is paused."""
        if rule.paused_at is None or rule.enabled:
            return ""
        return f"{timezone.localtime(rule.paused_at):%Y-%m-%d %H:%M} · {accuracy.pause_reason(rule)}"

    def save_model(self, request, obj, form, change):
        """Ticking "enabled" on a paused rule switches it back on as the page's button does (its returns are judged
        from now on)."""
        super().save_model(request, obj, form, change)
        if obj.enabled and obj.paused_at is not None:
            accuracy.resume_rule(obj, request.user)

    @admin.action(description=_("Switch the paused rules back on"), permissions=["change"])
    def switch_back_on(self, request, queryset):
        rules = list(queryset.filter(paused_at__isnull=False, enabled=False))
        for rule in rules:
            accuracy.resume_rule(rule, request.user)
        self.message_user(request, ngettext("%(n)s rule switched back on.", "%(n)s rules switched back on.",
                                            len(rules)) % {"n": len(rules)})

    @admin.display(description=_("category"), ordering="category__code")
    def category_path(self, rule):
        return CategoryChoice(queryset=None).label_from_instance(rule.category)


class ReadOnlyLog(admin.ModelAdmin):
    """A record the platform writes and counts from (the accuracy figures, the one retraining at a time): nobody
    adds, changes or deletes its rows by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DispatchSuggestion)
class DispatchSuggestionAdmin(ReadOnlyLog):
    """The log written by every dispatch made through the desk: what was suggested, what was chosen."""

    list_display = ("ticket", "at", "source", "accepted_rank", "category", "lead_unit", "confidence_percent", "by")
    list_filter = ("source", "accepted_rank")
    date_hierarchy = "at"
    search_fields = ("ticket__title",)
    search_help_text = _("A ticket number (20261206-0012345), a ticket id, or words of its title.")
    list_select_related = ("ticket", "category", "lead_unit", "by")
    readonly_fields = ("confidence_percent",)

    def get_fields(self, request, obj=None):
        """The row's fields, its confidence as a percentage in the place of the stored fraction."""
        fields = [name for name in super().get_fields(request, obj) if name != "confidence_percent"]
        return ["confidence_percent" if name == "confidence" else name for name in fields]

    @admin.display(description=DispatchSuggestion._meta.get_field("confidence").verbose_name, ordering="confidence")
    def confidence_percent(self, row):
        """91% (stored 0.9075), as the desk, the accuracy page and the rules show a confidence."""
        return None if row.confidence is None else f"{row.confidence:.0%}"

    def get_search_results(self, request, queryset, search_term):
        """A ticket's number (a property: 20261206-0012345) or id finds its rows; other words search titles."""
        pk = Ticket.id_from_number(search_term.strip()) if search_term.strip() else None
        if pk is not None:
            return queryset.filter(ticket_id=pk), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(RetrainRun)
class RetrainRunAdmin(ReadOnlyLog):
    """Every `jiesu dispatch retrain`, scheduled by the worker or run by command: how it ended and why."""

    list_display = ("started_at", "trigger", "asked_by", "os_user", "state", "judgement", "finished_at", "model_path",
                    "host", "pid")
    list_filter = ("state", "trigger")
    list_select_related = ("asked_by",)
    date_hierarchy = "started_at"
    fields = ("started_at", "finished_at", "state", "trigger", "asked_by", "os_user", "judgement", "model_path",
              "host", "pid", "reason", "result")
    readonly_fields = fields

    @admin.display(description=_("Judgement"))
    def judgement(self, run):
        """What the accuracy page says of the run, in the user's language (the stored reason and result are the
        command's own words and JSON line, kept below for whoever looks into it)."""
        return render_to_string("dispatch/retrain_outcome.html", {"r": run, "rows_most": MOST_ROWS,
                                                                  "show_reason": True})

"""Back-office editing of the working calendar. Every change invalidates the cached calendar."""
from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jiesu.workcal.models import CalendarDay, WorkingHours
from jiesu.workcal.services import calendar_changed, not_entered_warning

# the admin's first page says when a year ahead has no holidays entered (templates/workcal/admin_index.html)
admin.site.index_template = "workcal/admin_index.html"

WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))


def _changed():
    # Now, for this process; and after commit, for the others (they rebuild from committed rows).
    calendar_changed()
    transaction.on_commit(calendar_changed)


class CalendarChangeMixin:
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        _changed()


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarChangeMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)
    list_per_page = 100

    def changelist_view(self, request, extra_context=None):
        warning = not_entered_warning() if request.method == "GET" else ""
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ("start", "end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        if end <= start:
            raise forms.ValidationError(_("A working period must end after it starts."))
        others = WorkingHours.objects.exclude(pk=self.instance.pk)
        clash = others.filter(start__lt=end, end__gt=start).first()
        if clash is not None:
            raise forms.ValidationError(_("This period overlaps the working period %(other)s.") % {"other": clash})
        return data


@admin.register(WorkingHours)
class WorkingHoursAdmin(CalendarChangeMixin, admin.ModelAdmin):
    form = WorkingHoursForm
    list_display = ("__str__", "start", "end")
    ordering = ("start",)

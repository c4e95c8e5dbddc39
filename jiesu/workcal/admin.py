"""Back-office editing of the working calendar. Every change invalidates the cached calendar."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiesu.workcal.models import CalendarDay, DayKind, WorkingHours
from jiesu.workcal.services import ScheduleError, calendar_changed, enter_schedule, not_entered_warning

# the admin's first page says when a year ahead has no holidays entered (templates/workcal/admin_index.html)
admin.site.index_template = "workcal/admin_index.html"

WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))


def _changed():
    # Now, for this process; and after commit, for the others (they rebuild from committed rows).
    calendar_changed()
    transaction.on_commit(calendar_changed)


KEPT = _("Deadlines already set are kept: the change counts for the deadlines set from now on.")


class CalendarChangeMixin:
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _changed()
        messages.info(request, KEPT)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _changed()
        messages.info(request, KEPT)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        _changed()
        messages.info(request, KEPT)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name")

    def clean(self):
        data = super().clean()
        day, kind = data.get("date"), data.get("kind")
        if day is None or not kind:
            return data
        there = CalendarDay.objects.exclude(pk=self.instance.pk).filter(date=day).first()
        if there is not None:
            raise forms.ValidationError(
                _("%(date)s is already in the working calendar (%(day)s): change that day rather than enter it twice.")
                % {"date": day, "day": f"{there.get_kind_display()} {there.name}".strip()})
        if kind == DayKind.WORKDAY and day.weekday() < 5:
            raise forms.ValidationError(
                _("%(date)s is a %(weekday)s, a working day already: a make-up working day (调休上班日) is a Saturday or "
                  "Sunday worked. Check the date.") % {"date": day, "weekday": WEEKDAYS[day.weekday()]})
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarChangeMixin, admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)
    list_per_page = 100

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.kind == DayKind.HOLIDAY and obj.date.weekday() >= 5:
            messages.warning(request, _("%(date)s is a %(weekday)s, a day off already: as a holiday it changes no "
                                        "deadline (it names the day only).")
                             % {"date": obj.date, "weekday": WEEKDAYS[obj.date.weekday()]})

    def get_urls(self):
        view = self.admin_site.admin_view(self.enter_view)
        return [path("enter/", view, name="workcal_calendarday_enter"), *super().get_urls()]

    def enter_view(self, request):
        """A year's notice typed in at once (services.enter_schedule): what the package does not know yet."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        lines, error = request.POST.get("lines", ""), ""
        if request.method == "POST":
            try:
                added = enter_schedule(lines)
            except ScheduleError as exc:
                error = str(exc)
            else:
                messages.success(request, _("%(n)d days entered.") % {"n": added})
                messages.info(request, KEPT)
                return redirect("admin:workcal_calendarday_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "lines": lines, "error": error,
                   "title": _("Enter a year's holidays")}
        return render(request, "workcal/enter_schedule.html", context)

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

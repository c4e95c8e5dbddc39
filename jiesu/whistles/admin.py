"""Back-office: whistle levels and their approval chains are editable configuration;
whistles themselves are read only (they change through the services, which write events)."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiesu.accounts.models import Position
from jiesu.tickets.admin import ReadOnlyInline, ReadOnlyMixin
from jiesu.whistles import rules
from jiesu.whistles.models import (
    Approval, Rating, Summons, Task, Whistle, WhistleEvent, WhistleLevel, WhistleNotice,
)


class WhistleLevelForm(forms.ModelForm):
    class Meta:
        model = WhistleLevel
        fields = "__all__"

    def clean_approval_chain(self):
        chain = self.cleaned_data["approval_chain"]
        if not isinstance(chain, list) or not all(isinstance(s, str) and s.strip() for s in chain):
            raise ValidationError(_("The approval chain is a list of step names."))
        return [s.strip() for s in chain]

    def clean(self):
        cleaned = super().clean()
        positions, chain = cleaned.get("approval_positions"), cleaned.get("approval_chain") or []
        if positions is None:
            return cleaned
        if not isinstance(positions, list) or any(p not in Position.values for p in positions):
            self.add_error("approval_positions", _("Positions are a list of: %(names)s (\"\": any colleague).") % {
                "names": ", ".join(p for p in Position.values if p)})
        elif len(positions) > len(chain):
            self.add_error("approval_positions", _("More positions than approval steps."))
        return cleaned


@admin.register(WhistleLevel)
class WhistleLevelAdmin(admin.ModelAdmin):
    form = WhistleLevelForm
    list_display = ("code", "name", "report_amount", "report_unit", "task_days", "chain", "active", "sort")
    list_editable = ("active", "sort")

    @admin.display(description=_("approval chain"))
    def chain(self, obj):
        return " → ".join(step + (f" ({Position(pos).label})" if pos else "")
                          for step, pos in zip(obj.approval_chain, rules.chain_positions(obj.approval_chain, obj.approval_positions))) or "—"


class ApprovalInline(ReadOnlyInline):
    model = Approval


class SummonsInline(ReadOnlyInline):
    model = Summons


class TaskInline(ReadOnlyInline):
    model = Task


class RatingInline(ReadOnlyInline):
    model = Rating


class EventInline(ReadOnlyInline):
    model = WhistleEvent
    fields = ("at", "kind", "actor", "actor_unit", "from_state", "to_state", "note", "payload")


@admin.register(Whistle)
class WhistleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "title", "unit", "trigger", "level", "mode", "state", "created_at", "closed_at")
    list_filter = ("state", "trigger", "level", "mode")
    search_fields = ("title", "description")
    list_select_related = ("unit", "level")
    date_hierarchy = "created_at"
    inlines = [ApprovalInline, SummonsInline, TaskInline, RatingInline, EventInline]
    raw_id_fields = ("tickets",)


@admin.register(WhistleNotice)
class WhistleNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("whistle", "unit", "about", "kind", "created_at", "read_at")
    list_filter = ("kind",)

"""Back-office: tickets, read only. Tickets change only through the services (which write events);
events are append-only, so nothing here can add, edit or delete them."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jiesu.core import scoping
from jiesu.tickets.models import (
    Assignment, Attachment, Callback, ExtensionRequest, Notice, ReturnRequest, Ticket, TicketEvent,
)


class ReadOnlyMixin:
    """View permission only: no add, change or delete, in lists and inlines alike."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("at", "kind", "actor", "actor_unit", "from_state", "to_state", "note", "payload")
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "actor_unit")


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fk_name = "ticket"
    fields = ("unit", "role", "state", "active", "round", "dispatched_at", "sign_due", "signed_at",
              "contact_due", "contacted_at", "reply_due", "replied_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


class CallbackInline(ReadOnlyInline):
    model = Callback
    fields = ("at", "agent", "method", "reached", "resolved", "satisfied", "note", "round")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("name", "content_type", "size", "file", "uploaded_by", "uploaded_at")


class DistrictFilter(admin.SimpleListFilter):
    """The 16 districts only (a plain FK filter would list every unit of the org tree)."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        from jiesu.units.models import Unit, UnitKind

        return [(u.pk, u.name) for u in Unit.objects.filter(kind=UnitKind.DISTRICT).only("pk", "name").order_by("code")]

    def queryset(self, request, queryset):
        return queryset.filter(district_id=self.value()) if self.value() else queryset


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number_link", "title", "state", "category", "street", "lead_unit", "created_at")
    list_filter = ("state", "channel", "request_type", "supervised", "special_class", DistrictFilter)
    search_fields = ("=id", "=query_code", "title")
    list_select_related = ("category", "district", "street", "lead_unit")
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_per_page = 50
    inlines = [AssignmentInline, CallbackInline, AttachmentInline, EventInline]
    # the citizen's name and phone are masked here as on every list; the ticket page reveals them (an event)
    exclude = ("idempotency_key", "citizen_name", "citizen_phone")
    readonly_fields = ("citizen_name_masked", "citizen_phone_masked")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("Ticket"), ordering="id")
    def number_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:tickets_ticket_change", args=[obj.pk]), obj.number)

    @admin.display(description=_("Citizen"))
    def citizen_name_masked(self, obj):
        return scoping.mask_name(obj.citizen_name)

    @admin.display(description=_("Phone"))
    def citizen_phone_masked(self, obj):
        return scoping.mask_phone(obj.citizen_phone)

    def view_on_site(self, obj):
        return reverse("ticket_detail", args=[obj.pk])


class TicketColumn:
    """A list's ticket column: the ticket's id, without a query per row, headed 工单 (the bare "ticket_id" column
    was headed "Ticket id" on the Chinese admin)."""

    @admin.display(description=_("ticket"), ordering="ticket_id")
    def ticket_ref(self, obj):
        return obj.ticket_id


@admin.register(TicketEvent)
class TicketEventAdmin(TicketColumn, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "ticket_ref", "kind", "actor", "actor_unit", "from_state", "to_state")
    list_filter = ("kind",)
    search_fields = ("=ticket__id",)
    list_select_related = ("actor", "actor_unit")
    show_full_result_count = False
    date_hierarchy = "at"
    raw_id_fields = ("ticket",)


@admin.register(ReturnRequest)
class ReturnRequestAdmin(TicketColumn, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket_ref", "unit", "state", "created_at", "decided_at")
    list_filter = ("state",)
    list_select_related = ("unit",)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(TicketColumn, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket_ref", "working_days", "state", "created_at", "decided_at", "new_due")
    list_filter = ("state",)


@admin.register(Notice)
class NoticeAdmin(TicketColumn, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket_ref", "unit", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("unit",)
    raw_id_fields = ("ticket", "unit")

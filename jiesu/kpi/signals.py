"""Keep the rollups current as tickets change: every ticket change writes a TicketEvent
(jiesu.tickets.services), so one receiver on TicketEvent sees them all.

The refresh runs inside the service's transaction, so a ticket and its rollups
commit together. Bulk writers that skip events (demo generator, importer) and
ticket deletions are caught up by `jiesu kpi rebuild`.
"""
from django.db.models.signals import post_save
from django.dispatch import receiver

from jiesu.kpi import rollup
from jiesu.kpi.models import ExclusionReview


@receiver(post_save, sender="tickets.TicketEvent", dispatch_uid="kpi-ticket-event")
def ticket_event_saved(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    ticket = instance.ticket
    if instance.kind == "intake" and ticket.lead_unit_id is None and not ticket.parent_id:
        rollup.add_new_ticket(ticket)
    else:
        rollup.refresh_tickets([instance.ticket_id])


@receiver(post_save, sender=ExclusionReview, dispatch_uid="kpi-exclusion-review")
def exclusion_review_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        rollup.refresh_tickets([instance.ticket_id])

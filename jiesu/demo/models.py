from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoDataset(models.Model):
    """One generated set of demo tickets: how `setup` knows the demo exists, and what to delete on reset."""

    created_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    anchor = models.DateTimeField(_("generated up to"))  # the "now" the tickets were simulated up to
    seed = models.IntegerField(_("seed"))
    tickets = models.PositiveIntegerField(_("tickets"))
    first_ticket_id = models.BigIntegerField(verbose_name=_("first ticket id"))
    last_ticket_id = models.BigIntegerField(verbose_name=_("last ticket id"))
    seconds = models.FloatField(_("seconds taken"), default=0)
    stats = models.JSONField(default=dict, blank=True, verbose_name=_("statistics"))

    class Meta:
        verbose_name = _("demo dataset")
        verbose_name_plural = _("demo datasets")

    def __str__(self):
        return f"{self.tickets} demo tickets (seed {self.seed}, {self.anchor:%Y-%m-%d})"

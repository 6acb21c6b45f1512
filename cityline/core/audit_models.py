"""The tamper-evident audit trail's storage: one chained entry per historical row (B2.g, B10).

Every row django-simple-history writes (one historical table per tracked model) gets an
``AuditEntry`` in the same transaction. Each entry's ``hash`` covers the previous entry's
hash, so editing, deleting or inserting anything in the middle of the trail breaks the
chain. The logic lives in :mod:`cityline.core.audit`; docs/identity/audit.md explains what
the chain proves and what it does not.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


class AuditEntry(models.Model):
    """One link of the audit chain: seals one historical row of one tracked model."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True,
                                         help_text=_("1, 2, 3 … without gaps: the order of the chain."))
    at = models.DateTimeField(_("at"), help_text=_("When the change was recorded (the row's history date)."))
    model = models.CharField(_("model"), max_length=100, help_text=_("app_label.model of the tracked record."))
    history_id = models.BigIntegerField(_("history id"))
    object_id = models.BigIntegerField(_("object id"))
    city_id = models.BigIntegerField(_("city id"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=1, help_text=_("+ created, ~ changed, - deleted"))
    actor = models.CharField(_("actor"), max_length=64, blank=True,
                             help_text=_("A pseudonym of the user (keyed HMAC of the user id), never the name."))
    fields = models.TextField(_("fields"), help_text=_("The historical row's fields the digest covers."))
    row_digest = models.CharField(_("row digest"), max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        constraints = [
            models.UniqueConstraint(fields=["model", "history_id"], name="core_auditentry_unique_row"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.model} {self.object_id} ({self.kind}) {self.hash[:12]}"

"""Take-up of the open data platform (B7.d, B8): views, downloads and API calls per dataset and day.

Counters only. Nothing about the person asking is kept: no IP address, no user, no
user agent. Each call adds one to the day's row for (dataset, distribution, kind).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import choices
from .models import Dataset, Distribution, TakeUpCount

VIEW, DOWNLOAD, API = choices.TakeUpKind.VIEW, choices.TakeUpKind.DOWNLOAD, choices.TakeUpKind.API


def record(dataset: Dataset, kind: str, *, distribution: Distribution | None = None, count: int = 1) -> None:
    """Count one view, download or API call of ``dataset`` (and ``distribution``) today."""
    day = timezone.localdate()
    with transaction.atomic():
        rows = TakeUpCount.objects.filter(dataset=dataset, distribution=distribution, kind=kind, day=day)
        pk = rows.values_list("pk", flat=True).first()
        if pk is not None:
            TakeUpCount.objects.filter(pk=pk).update(count=F("count") + count)
        else:
            TakeUpCount.objects.create(city_id=dataset.city_id, dataset=dataset, distribution=distribution,
                                       kind=kind, day=day, count=count)

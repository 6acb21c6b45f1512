"""Channel kinds and the city's defaults for the channel audit (B11.a). Plain Python, no Django."""

from __future__ import annotations

from decimal import Decimal

#: Channel kinds that are digital: self-service on a screen, or no human step at all.
#: Face to face, telephone, post and intermediaries (private or voluntary partners)
#: are assisted channels, even when the intermediary types into a web form.
DIGITAL_KINDS = frozenset({"web", "app", "kiosk", "asset_to_device"})

#: A channel falls below standard when the share of its transactions that met their
#: service-level standard is under this percentage, unless the city sets its own.
DEFAULT_SERVICE_LEVEL_THRESHOLD = Decimal("90.00")


def is_digital(kind: str) -> bool:
    """Whether a channel kind is digital (see :data:`DIGITAL_KINDS`)."""
    return kind in DIGITAL_KINDS

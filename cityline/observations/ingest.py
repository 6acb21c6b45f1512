"""The one way readings enter a city's store, whatever brought them (file, HTTP, MQTT, NGSI-LD, demo).

:func:`write_observations` checks a batch against the city's series (a reading of an unknown series
is refused, naming the row), writes it to the store all or nothing, then hands it to what reacts to
new readings (the alert rules, :mod:`.alerts`) so every ingestion path raises alerts the same way.
Writing is idempotent on the natural key ``(series, time)``: a batch delivered twice stores each
reading once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .registry import series_groups, store_for
from .store import BatchError, normalise

#: Called with ``(city, table)`` after every batch is stored (the alert rules register here).
AFTER_WRITE: list = []


@dataclass
class WriteReport:
    rows: int = 0
    series: list[str] = field(default_factory=list)
    first: object = None
    last: object = None

    def as_dict(self) -> dict:
        return {"rows": self.rows, "series": self.series,
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None}


def check_series(table: pa.Table, groups: dict[str, str], *, row_offset: int = 0) -> None:
    """:class:`BatchError` at the first row naming a series the city does not have."""
    known = pa.array(sorted(groups), pa.string())
    unknown = pc.invert(pc.is_in(table.column("series"), value_set=known))
    if pc.any(unknown).as_py():
        row = int(pc.index(unknown, True).as_py())
        name = table.column("series")[row].as_py()
        raise BatchError("series", row + row_offset, f"no series {name!r} in this city; add it first "
                                                     "(editor, API or city pack)")


def write_observations(city, batch: pa.Table | list[dict], *, groups: dict[str, str] | None = None,
                       react: bool = True, written=None) -> WriteReport:
    """Store one batch for ``city`` (all or nothing); :class:`BatchError` names column and row.

    The report counts the readings stored: a key given twice in the batch is one reading (the last row).
    ``written``: the write time (see :meth:`.store.ObservationStore.write`; default now).
    """
    table = normalise(pa.Table.from_pylist(batch) if isinstance(batch, list) else batch)
    groups = series_groups(city) if groups is None else groups
    check_series(table, groups)
    if table.num_rows == 0:
        return WriteReport()
    rows = store_for(city, groups).write(table, written=written)
    times = table.column("time")
    report = WriteReport(rows=rows, series=sorted(pc.unique(table.column("series")).to_pylist()),
                         first=pc.min(times).as_py(), last=pc.max(times).as_py())
    if react:
        for hook in AFTER_WRITE:
            hook(city, table)
    return report

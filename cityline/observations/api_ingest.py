"""``POST /api/v1/cities/{city_key}/observations``: upload readings over HTTP (issue 6), all or nothing.

The body is one file: CSV (``text/csv``), JSON lines (``application/x-ndjson``) or Parquet
(``application/vnd.apache.parquet``), with the columns of ``cityline ingest`` (see
:mod:`.files`). It is streamed to a temporary file and stored through :func:`.bulk.load`, the
same path as the command: every row is checked first; a bad row answers 400 with a problem
document naming the row and column, and nothing is stored. The answer is what was stored
(rows, series, first and last reading time).

Writing needs the right to change every series the body names (programme administrators: any
series of the city; a data steward: their organisation's series; a bearer token, HTTP Basic or a
session with CSRF token); without credentials 401, without the right 403 and nothing is stored. Sending the
same readings again stores each reading once (natural key ``(series, time)``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from ninja import Router, Schema

from cityline.api.auth import require, write_auth
from cityline.api.errors import ApiProblem, Problem, problem_response
from cityline.api.generic import get_city

from .models import Series

TAG = "observations: ingest"
TAGS = {TAG: "Upload sensor and system readings (CSV, JSON lines or Parquet), all or nothing. See "
             "docs/observations.md, \"Ingesting readings\"."}
RESOURCES: list = []

#: Content type -> file format.
MEDIA_TYPES = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
               "application/jsonlines": "jsonl", "application/vnd.apache.parquet": "parquet",
               "application/x-parquet": "parquet"}
SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
CHUNK = 1024 * 1024


class WriteReportOut(Schema):
    rows: int
    series: list[str]
    first: str | None = None
    last: str | None = None


_BODY = {"requestBody": {"required": True, "description": "The readings: one file.", "content": {
    "text/csv": {"schema": {"type": "string"}, "example": "series,time,value\nair-pm25-harbour,2026-11-27T08:00:00Z,"
                                                         "12.5\n"},
    "application/x-ndjson": {"schema": {"type": "string"},
                             "example": '{"series": "air-pm25-harbour", "time": "2026-11-27T08:00:00Z", "value": 12.5}\n'},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
}}}


def add_routes(router: Router) -> None:
    @router.post("/cities/{city_key}/observations",
                 response={200: WriteReportOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 415: Problem},
                 auth=write_auth(Series, "change"), tags=[TAG], operation_id="observations_ingest",
                 summary="Store readings from a CSV, JSON lines or Parquet body (all or nothing)",
                 description="The body is one file with the columns `series` (a series key of the city), `time` "
                             "(ISO 8601 with a time zone, or epoch seconds), `value`, and optionally `quality` and "
                             "`message_id`; its `Content-Type` says the format (`text/csv`, `application/x-ndjson`, "
                             "`application/vnd.apache.parquet`). Every row is checked before anything is stored: "
                             "the first bad row answers 400 naming its row and column (`errors`), and nothing is "
                             "stored. Sending readings again stores each once (one reading per series and time; "
                             "the latest write wins). Needs the right to change the city's series.",
                 openapi_extra=_BODY)
    def ingest(request, city_key: str):
        from . import bulk
        from .files import FileError, InputFile

        city = get_city(city_key)
        require(request, "change", Series, city=city)

        def check_series(keys: set[str]) -> None:
            # The class-level right above says the caller may feed some series of the city; a data steward
            # feeds only their organisation's series (object-level rule of the authorisation layer, B10).
            for series in Series.objects.filter(city=city, key__in=sorted(keys)).select_related("organisation"):
                require(request, "change", series)

        media = (request.content_type or "").split(";")[0].strip().lower()
        fmt = MEDIA_TYPES.get(media)
        if fmt is None:
            return problem_response("bad-request", _("send the readings as text/csv, application/x-ndjson or "
                                                     "application/vnd.apache.parquet (got %(type)s)")
                                    % {"type": media or _("no Content-Type")}, status=415)
        with tempfile.TemporaryDirectory(prefix="cityline-observations-") as tmp:
            path = Path(tmp) / f"upload{SUFFIX[fmt]}"
            with open(path, "wb") as out:
                # Streamed: request.body would hold the whole upload in memory (and is capped by
                # DATA_UPLOAD_MAX_MEMORY_SIZE); the request size middleware bounds the total.
                while chunk := request.read(CHUNK):
                    out.write(chunk)
            try:
                source = InputFile(path, fmt, name=_("request body"))
                report = bulk.load(city, [source], check_series=check_series)
            except FileError as exc:
                where = exc.column or "body"
                row = _("row %(row)s: ") % {"row": exc.row} if exc.row is not None else ""
                return problem_response("bad-request", _("%(error)s; nothing was stored") % {"error": exc},
                                        errors={where: [row + exc.problem]})
            except ApiProblem:
                raise
        return report.as_dict()

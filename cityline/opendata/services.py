"""Writing data into the open data platform: uploads, versions and the privacy gate (B8, B10).

The one path for a held file, whoever sends it (the steward's upload page, the API,
``cityline opendata upload``, a city pack's ``pack_file``):

1. :func:`upload_version` checks, validates and converts the file with
   :func:`.domain.tabular.ingest` into the distribution's folder under a temporary name of
   its own. A refused upload raises :class:`~.domain.tabular.IngestError` and leaves both
   the folder and the database as they were.
2. In one transaction it claims the next version number (:class:`UploadConflict` if another
   upload took it meanwhile), moves the files to their version's name, records the
   :class:`.DistributionVersion` (with what changed since the previous version), runs the
   privacy gate on it (:func:`review_version`, built on :mod:`.domain.privacy`) and refreshes
   the dataset's verdict (:func:`refresh_gate`), which decides whether the dataset can be
   public. A version the gate blocks is never served to anyone but staff, even once a later
   version passes (``DistributionVersion.public``).
3. A data steward may override a blocked verdict (:func:`override_gate`) with a
   justification; the override is a record of its own, in the change history.

When a steward changes what the gate depends on (microdata, quasi-identifiers, minimum
k, or whether the dataset's asset holds personal data), every stored version of the dataset's
held files is reviewed again, the older ones included (:func:`review_dataset`): each version's
verdict, and so whether anyone may still get it, follows the current settings. An upload
reviews its new version only.

Files live under ``settings.CITYLINE_OPENDATA_DIR`` as
``<city>/<dataset>/<distribution>/v<n>.<ext>`` plus ``v<n>.parquet``; the database stores
paths relative to that folder.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from cityline.core import actions
from cityline.core.models import Person

from . import choices
from .domain import privacy, tabular
from .models import DataAsset, Dataset, Distribution, DistributionVersion, PrivacyReview

log = logging.getLogger(__name__)

#: Distribution formats the platform can hold, as ``tabular.ingest`` names them.
HELD_FORMATS = {"CSV": "csv", "JSON": "json", "GeoJSON": "geojson", "Parquet": "parquet"}


def data_dir() -> Path:
    return Path(settings.CITYLINE_OPENDATA_DIR)


def stored_path(relative: str) -> Path:
    """The absolute path of a stored file; refuses anything that would leave the data folder."""
    root = data_dir().resolve()
    path = (root / relative).resolve()
    if root != path and root not in path.parents:
        raise ValueError(f"stored path {relative!r} leaves the data folder")
    return path


def distribution_dir(distribution: Distribution) -> Path:
    return data_dir() / distribution.city.key / distribution.dataset.key / distribution.key


def _relative(path: Path) -> str:
    return path.resolve().relative_to(data_dir().resolve()).as_posix()


sha256_of = tabular.sha256_of


def limits() -> tabular.Limits:
    """Upload limits from settings (``CITYLINE_UPLOAD_MAX_BYTES``), else the defaults."""
    max_bytes = getattr(settings, "CITYLINE_UPLOAD_MAX_BYTES", None)
    return tabular.Limits(max_bytes=int(max_bytes)) if max_bytes else tabular.Limits()


# --- uploads ---------------------------------------------------------------------------------


def held_format(distribution: Distribution) -> str:
    """The ``tabular.ingest`` format of a distribution the platform holds; ``ValueError`` for any other."""
    if distribution.kind != choices.DistributionKind.FILE:
        raise ValueError(f"distribution {distribution.key!r} is a {distribution.get_kind_display().lower()}: "
                         "only a file held by the platform takes uploads")
    fmt = HELD_FORMATS.get(distribution.format)
    if fmt is None:
        raise ValueError(f"distribution {distribution.key!r}: the platform holds CSV, JSON, GeoJSON and Parquet "
                         f"files, not {distribution.format}")
    return fmt


class UploadConflict(ValueError):
    """Another version of the distribution was stored while this upload was being checked: nothing
    was stored; upload again (the API answers 409)."""


def upload_version(distribution: Distribution, source: Path | str, *, original_name: str | None = None,
                   user=None, note: str = "", encoding: str | None = None,
                   touch_modified: bool = True) -> DistributionVersion:
    """Store ``source`` as the next version of a held distribution; see the module docstring.

    ``touch_modified``: set the dataset's *modified* date to today (not for a city pack, whose
    datasets carry their own dates).

    The file is converted under a name of its own and takes its version's name (``v<n>.*``) only
    inside the transaction that records the version, once that version number is claimed (the
    distribution's row locked, the number still free): a failed or concurrent upload never
    touches the files of a stored version.

    Raises :class:`~.domain.tabular.IngestError` (nothing changed) when the file is refused,
    :class:`UploadConflict` when another version was stored meanwhile, and ``ValueError`` when
    the distribution cannot hold files.
    """
    source = Path(source)
    original_name = original_name or source.name
    fmt = held_format(distribution)
    previous = distribution.latest_version()
    number = (previous.number if previous else 0) + 1
    target = distribution_dir(distribution)
    source_checksum = sha256_of(source)
    ingested = tabular.ingest(source, target_dir=target, name=f"upload-{uuid.uuid4().hex}", format=fmt,
                              declared_schema=distribution.declared_schema or None, encoding=encoding,
                              limits=limits(), display_name=original_name)
    staged = {Path(ingested.path): target / f"v{number}{Path(ingested.path).suffix}",
              Path(ingested.parquet_path): target / f"v{number}.parquet"}
    try:
        changes = {}
        if previous and previous.parquet_path:
            changes = tabular.diff_versions(stored_path(previous.parquet_path), ingested.parquet_path,
                                            distribution.key_column_list or None).as_dict()
        with transaction.atomic():
            _claim_number(distribution, number)
            try:
                version = actions.create(
                    DistributionVersion, user=user, city=distribution.city, distribution=distribution,
                    number=number, original_name=original_name[:255], path=_relative(staged[Path(ingested.path)]),
                    parquet_path=_relative(staged[Path(ingested.parquet_path)]), media_type=ingested.mediatype,
                    byte_size=ingested.bytes, checksum=ingested.sha256, source_checksum=source_checksum,
                    row_count=ingested.row_count, table_schema=ingested.schema, changes=changes, note=note,
                )
            except IntegrityError as exc:  # a database that cannot lock the row: the unique number decides
                raise UploadConflict(f"distribution {distribution.key!r}: version {number} was stored by another "
                                     "upload meanwhile; nothing was stored, upload the file again") from exc
            # Version n is ours until this transaction ends (no one else can record it), so its names are
            # free: whatever has them is left from an upload that never committed. Undone before the
            # transaction ends, should anything fail, while the number is still ours.
            placed = []
            try:
                for temporary, final in staged.items():
                    os.replace(temporary, final)
                    placed.append(final)
                review_version(version, user=user)
                dataset = distribution.dataset
                refresh_gate(dataset, user=user, modified=timezone.localdate() if touch_modified else None)
            except BaseException:
                for final in placed:
                    final.unlink(missing_ok=True)
                raise
    except BaseException:
        for temporary in staged:
            temporary.unlink(missing_ok=True)
        raise
    return version


def _claim_number(distribution: Distribution, number: int) -> None:
    """Lock the distribution's row until the transaction ends and check ``number`` is still the next
    version; else :class:`UploadConflict` (the file was compared with a version that is no longer the latest)."""
    Distribution.objects.select_for_update().filter(pk=distribution.pk).values_list("pk", flat=True).first()
    stored = DistributionVersion.objects.filter(distribution=distribution).aggregate(n=Max("number"))["n"] or 0
    if stored != number - 1:
        raise UploadConflict(f"distribution {distribution.key!r}: version {stored} was stored while this upload "
                             f"was being checked; nothing was stored, upload the file again")


# --- the privacy gate ------------------------------------------------------------------------


def gate_parameters(dataset: Dataset) -> dict:
    """What the gate's verdict depends on, besides the data: stored with each review."""
    return {
        "microdata": dataset.microdata,
        "quasi_identifiers": dataset.quasi_identifier_list if dataset.microdata else [],
        "k": dataset.k_threshold or settings.CITYLINE_PRIVACY_MIN_K,
        "about_people": bool(dataset.microdata or (dataset.asset_id and dataset.asset.personal_data)),
    }


def review_version(version: DistributionVersion, *, user=None) -> PrivacyReview:
    """Run the privacy gate on one stored version and record its verdict (B8, B10)."""
    dataset = version.distribution.dataset
    params = gate_parameters(dataset)
    table = pq.read_table(stored_path(version.parquet_path))
    try:
        result = privacy.review(table.column_names, table, quasi_identifiers=params["quasi_identifiers"],
                                k=params["k"], about_people=params["about_people"] or None)
        report = result.as_dict()
        verdict = choices.GateResult.PASSED if result.passed else choices.GateResult.BLOCKED
        k = result.k_anonymity.k if result.k_anonymity else None
    except privacy.UnknownColumn as exc:
        # A quasi-identifier the file does not have: the gate cannot vouch for it, so it blocks.
        report = {"passed": False, "reasons": [{"code": "unknown-quasi-identifier", "column": exc.column,
                                               "message": str(exc)}], "findings": [], "k_anonymity": None}
        verdict, k = choices.GateResult.BLOCKED, None
    report["parameters"] = params
    return actions.create(PrivacyReview, user=user, city=version.city, dataset=dataset, distribution_version=version,
                          result=verdict, report=report, k=k)


def latest_versions(dataset: Dataset) -> list[DistributionVersion]:
    """The newest version of each held distribution of a dataset."""
    out = []
    for distribution in dataset.distributions.filter(kind=choices.DistributionKind.FILE):
        version = distribution.latest_version()
        if version is not None:
            out.append(version)
    return out


def held_versions(dataset: Dataset) -> list[DistributionVersion]:
    """Every stored version of each held distribution of a dataset, the older ones included (newest first)."""
    out = []
    for distribution in dataset.distributions.filter(kind=choices.DistributionKind.FILE):
        out += distribution.versions.order_by("-number")
    return out


def _reviewed_with(dataset: Dataset) -> dict[int, dict | None]:
    """The gate parameters of the latest review of each version of a dataset's held files, by version id
    (one query, which loads no report)."""
    reviews = (PrivacyReview.objects.filter(distribution_version__distribution__dataset=dataset,
                                            distribution_version__distribution__kind=choices.DistributionKind.FILE)
               .order_by("created_at", "id").values_list("distribution_version_id", "report__parameters"))
    return dict(reviews.iterator())  # the latest review of each version comes last and wins


def latest_review(version: DistributionVersion) -> PrivacyReview | None:
    return version.privacy_reviews.order_by("-created_at", "-id").first()


def verdict_of(dataset: Dataset) -> str:
    """The dataset's verdict: blocked if any latest version is blocked, else overridden, else passed;
    empty when the platform holds no file of it (nothing to check)."""
    # each version's latest verdict is kept on it (PrivacyReview.save); never reviewed counts as blocked
    results = [version.gate or choices.GateResult.BLOCKED for version in latest_versions(dataset)]
    if not results:
        return ""
    for verdict in (choices.GateResult.BLOCKED, choices.GateResult.OVERRIDDEN):
        if verdict in results:
            return verdict
    return choices.GateResult.PASSED


def refresh_gate(dataset: Dataset, *, user=None, modified: date | None = None) -> Dataset:
    """Store the dataset's current verdict (and, after an upload, its modified date)."""
    reviewing = getattr(dataset, "_reviewing", False)
    dataset.refresh_from_db()
    dataset._reviewing = True  # this write changes the verdict only: no second review
    changes = {"gate": verdict_of(dataset)}
    if modified and (dataset.modified is None or modified > dataset.modified):
        changes["modified"] = modified
    try:
        return actions.update(dataset, user=user, reason="privacy gate", **changes)
    finally:
        dataset._reviewing = reviewing


def review_dataset(dataset: Dataset, *, user=None, force: bool = False) -> Dataset:
    """Review again every version of the dataset's held files whose last review used other gate parameters,
    or none (B8, B10), and refresh the dataset's verdict; ``force``: every latest version as well.

    Every version, not the latest only: a version that passed under looser settings would otherwise stay
    public (its download, its rows, its DCAT entry) once the steward tightened them. Each review reads the
    version's Parquet copy, which is fine for a change of settings (rare); an upload reviews its new version
    only (:func:`upload_version`).
    """
    params = gate_parameters(dataset)
    versions = held_versions(dataset)
    reviewed_with = _reviewed_with(dataset)
    latest = {version.pk for version in latest_versions(dataset)} if force else set()
    reviewed = False
    for version in versions:
        if version.pk in latest or reviewed_with.get(version.pk) != params:
            review_version(version, user=user)
            reviewed = True
    if reviewed or dataset.gate != verdict_of(dataset):
        dataset = refresh_gate(dataset, user=user)
    return dataset


def override_gate(dataset: Dataset, *, steward: Person, justification: str, user=None) -> list[PrivacyReview]:
    """A data steward releases a blocked dataset, taking responsibility in writing (B8, B10).

    Records an ``overridden`` review for every latest version the gate blocked, keeping the
    blocked report beside the justification. Raises ``ValueError`` when nothing is blocked.
    """
    overrides = []
    with transaction.atomic():
        for version in latest_versions(dataset):
            review = latest_review(version)
            if review is None or review.result != choices.GateResult.BLOCKED:
                continue
            overrides.append(actions.create(
                PrivacyReview, user=user, city=dataset.city, dataset=dataset, distribution_version=version,
                result=choices.GateResult.OVERRIDDEN, report=review.report, k=review.k, steward=steward,
                justification=justification.strip(), reason="privacy gate override",
            ))
        if not overrides:
            raise ValueError(f"dataset {dataset.key!r}: the privacy gate has blocked nothing to override")
        refresh_gate(dataset, user=user)
    return overrides


@receiver(post_save, sender=Dataset)
def _dataset_saved(sender, instance, created, raw=False, **kwargs):
    """A steward changed what the gate depends on (microdata, quasi-identifiers, k): review again.

    A ``post_save`` receiver, not :data:`actions.record_changed` (sent on commit): the new verdict
    must be part of the same transaction as the change that caused it, whatever path made it.
    """
    if created or raw or getattr(instance, "_reviewing", False):
        return
    instance._reviewing = True
    try:
        if latest_versions(instance):
            review_dataset(instance)
    finally:
        instance._reviewing = False


@receiver(post_save, sender=DataAsset)
def _asset_saved(sender, instance, created, raw=False, **kwargs):
    """Whether an asset holds personal data is one of the gate's inputs (``about_people``): review its
    datasets again, in the same transaction, exactly as a change of the dataset itself does."""
    if created or raw:
        return
    for dataset in instance.datasets.all():
        _dataset_saved(Dataset, dataset, created=False)


# --- city packs ------------------------------------------------------------------------------


@dataclass
class PackFileProblem:
    distribution: str
    pack_file: str
    message: str


def ingest_pack_files(city, directory: Path, *, user=None, dry_run: bool = False,
                      refusal: Callable[[Distribution], str | None] | None = None) -> list[PackFileProblem]:
    """Upload every distribution's ``pack_file`` whose content differs from its latest version.

    Called by the pack importer after the records are written (see ``opendata/pack.py``).
    A dry run checks the files in a scratch folder and stores nothing.

    ``refusal(distribution)``: why whoever imports may not store a new version of that distribution's data
    (None: they may). It is asked for every file that would be stored before any is; when any is refused,
    the refusals are returned and nothing is checked or stored (no row, no file). ``None``: a trusted import.
    """
    problems: list[PackFileProblem] = []
    directory = Path(directory).resolve()
    held = Distribution.objects.filter(city=city).exclude(pack_file="").select_related("dataset", "city")
    due: list[tuple[Distribution, Path]] = []
    for distribution in held.order_by("dataset__key", "key"):
        path = (directory / distribution.pack_file).resolve()  # follows links: a link out of the pack is refused
        if directory not in path.parents:
            problems.append(PackFileProblem(distribution.key, distribution.pack_file,
                                            "refused: the path leads outside the pack (a “..”, an absolute "
                                            "path or a link to a file elsewhere)"))
            continue
        if not path.is_file():
            problems.append(PackFileProblem(distribution.key, distribution.pack_file,
                                            "no such file inside the pack"))
            continue
        latest = distribution.latest_version()
        if latest is not None and latest.source_checksum == sha256_of(path):
            continue
        due.append((distribution, path))
    if refusal is not None:
        refused = [PackFileProblem(d.key, d.pack_file, why) for d, _path in due if (why := refusal(d))]
        if refused:
            return problems + refused
    for distribution, path in due:
        try:
            if dry_run:
                # the same checks as upload_version, into a private scratch folder removed afterwards
                fmt = held_format(distribution)
                with tempfile.TemporaryDirectory(prefix="cityline-pack-check-") as scratch:
                    tabular.ingest(path, target_dir=Path(scratch), name="check", format=fmt,
                                   declared_schema=distribution.declared_schema or None, limits=limits(),
                                   display_name=distribution.pack_file)
            else:
                upload_version(distribution, path, original_name=path.name, user=user,
                               note="imported from the city pack", touch_modified=False)
        except tabular.IngestError as exc:
            problems.append(PackFileProblem(distribution.key, distribution.pack_file, exc.message + "".join(
                f"; {e.message}" for e in exc.errors[:5])))
        except ValueError as exc:
            problems.append(PackFileProblem(distribution.key, distribution.pack_file, str(exc)))
    return problems


def version_summary(version: DistributionVersion) -> dict:
    """A version as plain data (pages, API, DCAT): number, file, size, rows, checksum, changes."""
    return {
        "number": version.number, "original_name": version.original_name, "media_type": version.media_type,
        "byte_size": version.byte_size, "checksum": version.checksum, "row_count": version.row_count,
        "created_at": version.created_at.isoformat() if version.created_at else None,
        "changes": version.changes or {}, "note": version.note,
        "schema": json.loads(json.dumps(version.table_schema or {})),
    }

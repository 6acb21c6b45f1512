"""The open data platform (B8, B13, B14, C2.g).

- :class:`DataAsset`: the register of the city's IT and data assets (B13): datasets,
  applications, APIs, IoT device fleets, platforms and infrastructure, each with an
  owner, a domain, a reuse policy and reuse potential, whether it holds personal data,
  and the standards it uses.
- :class:`Theme`: a city theme of the catalogue (a CKAN *group*), mapped to an EU data theme.
- :class:`Dataset`: a catalogue entry (a DCAT dataset, a CKAN *package*) with its
  publisher, contact point, licence, coverage, update frequency, access level and
  publication model (B8), tied to the asset it comes from and to the KPIs and services it serves.
- :class:`Distribution`: one way to get the data (a DCAT distribution, a CKAN
  *resource*): a file the platform holds, a file elsewhere, or an API.
- :class:`DistributionVersion`: every upload of a held file is a new version; older
  versions stay downloadable and citable.
- :class:`PrivacyReview`: the privacy gate's verdict on a version (B8, B10), and a data
  steward's recorded override.
- :class:`TakeUpCount`: views, downloads and API calls per dataset and day (B7.d); no
  personal data (no IP address, no user) is kept.

Visibility: a dataset is public when its steward has published it, its access level
is public and the privacy gate has not blocked it (:meth:`Dataset.is_public`, kept in the
``public`` field so catalogue queries stay simple and fast). A version of one of its files
is public when, besides, the distribution is still a held file and the gate's latest verdict
on that version has not blocked it (:meth:`DistributionVersion.is_public`, kept in its
``public`` field, and :meth:`VersionQuerySet.visible`: the one predicate every face uses).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.architecture.models import BuildingBlock, Standard
from cityline.benefits.models import Kpi
from cityline.citizen_services.models import Service
from cityline.core.models import City, CityRecord, KeyedRecord, Organisation, Person

from . import choices

UUID_NAMESPACE = uuid.UUID("6f1d2c3e-8a47-5b0e-9c41-37106b8c0001")


def stable_uuid(city_key: str, kind: str, key: str) -> uuid.UUID:
    """A stable identifier for CKAN ``id`` fields: the same city, kind and key give the same UUID."""
    return uuid.uuid5(UUID_NAMESPACE, f"{city_key}/{kind}/{key}")


def split_list(value: str) -> list[str]:
    """``"a, b ,c"`` → ``["a", "b", "c"]`` (keywords, quasi-identifiers and key columns are comma-separated)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class DataAsset(KeyedRecord):
    """An entry of the city's register of IT and data assets, managed as a city-wide resource (B13)."""

    name = models.CharField(_("name"), max_length=200)
    asset_type = models.CharField(_("asset type"), max_length=20, choices=choices.AssetType.choices)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(Organisation, on_delete=models.RESTRICT, null=True, blank=True,
                              related_name="data_assets", verbose_name=_("owner organisation"))
    domain = models.CharField(_("domain"), max_length=100, blank=True,
                              help_text=_("The city domain the asset serves, e.g. transport, environment, housing."))
    reuse_policy = models.TextField(_("reuse policy"), blank=True,
                                    help_text=_("Who may reuse the asset and on what terms."))
    reuse_potential = models.PositiveSmallIntegerField(
        _("reuse potential"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("From 1 (of use to its owner only) to 5 (of use across the city and beyond)."),
    )
    personal_data = models.BooleanField(_("holds personal data"), default=False)
    standards = models.ManyToManyField(Standard, blank=True, related_name="data_assets",
                                       verbose_name=_("standards used"))
    building_block = models.ForeignKey(BuildingBlock, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="data_assets", verbose_name=_("building block"),
                                       help_text=_("The element of the architecture blueprint (B14) it belongs to."))

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("IT or data asset")
        verbose_name_plural = _("IT and data asset register")

    def __str__(self) -> str:
        return self.name


class Theme(KeyedRecord):
    """A theme of the city's catalogue (a CKAN group), mapped to an EU data theme for DCAT-AP."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    eu_theme = models.CharField(_("EU data theme"), max_length=4, choices=choices.DataTheme.choices)

    class Meta(KeyedRecord.Meta):
        ordering = ["title"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.title


class Dataset(KeyedRecord):
    """A dataset of the catalogue (B8): a DCAT dataset and a CKAN package. Its key is the CKAN ``name``."""

    uuid = models.UUIDField(_("identifier"), unique=True, editable=False, null=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    keywords = models.CharField(_("keywords"), max_length=500, blank=True, help_text=_("Comma-separated."))
    themes = models.ManyToManyField(Theme, blank=True, related_name="datasets", verbose_name=_("themes"))
    publisher = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="datasets",
                                  verbose_name=_("publisher"))
    contact_point = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="datasets",
        verbose_name=_("contact point"),
        help_text=_("Shown publicly with e-mail and phone only when the person is a published contact."),
    )
    licence = models.CharField(_("licence"), max_length=40, choices=choices.Licence.choices, default="CC-BY-4.0")
    spatial = models.CharField(_("spatial coverage"), max_length=200, blank=True,
                               help_text=_("The place the data covers, e.g. the city or a district."))
    temporal_start = models.DateField(_("covers from"), null=True, blank=True)
    temporal_end = models.DateField(_("covers until"), null=True, blank=True)
    frequency = models.CharField(_("update frequency"), max_length=10, choices=choices.Frequency.choices,
                                 default="UNKNOWN")
    access_level = models.CharField(_("access level"), max_length=12, choices=choices.AccessLevel.choices,
                                    default="public")
    publication_model = models.CharField(_("publication model"), max_length=12,
                                         choices=choices.PublicationModel.choices, default="free")
    issued = models.DateField(_("issued"), null=True, blank=True)
    modified = models.DateField(_("modified"), null=True, blank=True)
    landing_page = models.URLField(_("landing page"), blank=True)
    conforms_to = models.URLField(_("conforms to"), blank=True,
                                  help_text=_("The standard or data model the data follows, as a URL."))
    asset = models.ForeignKey(DataAsset, on_delete=models.SET_NULL, null=True, blank=True, related_name="datasets",
                              verbose_name=_("asset"), help_text=_("The entry of the asset register (B13)."))
    kpis = models.ManyToManyField(Kpi, blank=True, related_name="datasets", verbose_name=_("KPIs served"))
    services = models.ManyToManyField(Service, blank=True, related_name="datasets",
                                      verbose_name=_("services served"))
    source_kpi = models.OneToOneField(
        Kpi, on_delete=models.CASCADE, null=True, blank=True, related_name="measurement_dataset",
        verbose_name=_("measurements of KPI"),
        help_text=_("Set on the dataset Cityline keeps of a public KPI's measurements (C2.g)."),
    )
    microdata = models.BooleanField(_("microdata"), default=False,
                                    help_text=_("One row per person, household or case: the gate checks k-anonymity."))
    quasi_identifiers = models.CharField(
        _("quasi-identifiers"), max_length=500, blank=True,
        help_text=_("Comma-separated columns that together could single someone out (age band, district …)."),
    )
    k_threshold = models.PositiveSmallIntegerField(
        _("minimum k"), null=True, blank=True, validators=[MinValueValidator(2)],
        help_text=_("Smallest group size allowed for microdata; empty for the platform default (5)."),
    )
    published = models.BooleanField(_("published"), default=False,
                                    help_text=_("Released by its steward; it is public only if the privacy gate "
                                                "has not blocked it and its access level is public."))
    gate = models.CharField(_("privacy gate"), max_length=12, choices=choices.GateResult.choices, blank=True,
                            editable=False, help_text=_("The gate's verdict on the latest versions of its files."))
    public = models.BooleanField(_("public"), default=False, editable=False, db_index=True,
                                 help_text=_("Published, public access and not blocked by the gate (kept by save)."))

    class Meta(KeyedRecord.Meta):
        ordering = ["title"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.uuid is None and self.key and self.city_id:
            self.uuid = stable_uuid(City.objects.values_list("key", flat=True).get(pk=self.city_id), "dataset",
                                    self.key)
        self.public = self.is_public()
        super().save(*args, **kwargs)
        DistributionVersion.objects.filter(distribution__dataset=self).refresh_public()

    @property
    def keyword_list(self) -> list[str]:
        return split_list(self.keywords)

    @property
    def quasi_identifier_list(self) -> list[str]:
        return split_list(self.quasi_identifiers)

    @property
    def five_star(self) -> int:
        """The Five-Star open data rating (B8), computed from licence and distributions (see domain.stars)."""
        from .domain.stars import rating

        return rating(self)["stars"]

    def is_public(self) -> bool:
        """Published by its steward, public access, and not blocked by the privacy gate (B8, B10)."""
        return bool(self.published and self.access_level == choices.AccessLevel.PUBLIC
                    and self.gate != choices.GateResult.BLOCKED)

    def clean(self) -> None:
        super().clean()
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            raise ValidationError({"temporal_end": _("the coverage cannot end before it starts")})
        if self.quasi_identifiers and not self.microdata:
            raise ValidationError({"quasi_identifiers": _("quasi-identifiers apply to microdata only")})


class Distribution(KeyedRecord):
    """One way to get a dataset (B8): a file the platform holds, a file elsewhere, or an API (a CKAN resource)."""

    uuid = models.UUIDField(_("identifier"), unique=True, editable=False, null=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions",
                                verbose_name=_("dataset"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=choices.DistributionKind.choices, default="file")
    format = models.CharField(_("format"), max_length=20, choices=choices.Format.choices)
    media_type = models.CharField(_("media type"), max_length=100, blank=True)
    access_url = models.URLField(_("access URL"), blank=True,
                                 help_text=_("For a file elsewhere or an API: where it is."))
    key_columns = models.CharField(_("key columns"), max_length=300, blank=True,
                                   help_text=_("Comma-separated columns that identify a row (used to compare "
                                               "versions and to mint row URIs)."))
    about_url = models.CharField(
        _("row URI template"), max_length=300, blank=True,
        help_text=_("A URI template naming what each row is about, e.g. https://data.example.org/stop/{stop_id}."),
    )
    column_links = models.JSONField(
        _("links to other data"), default=dict, blank=True,
        help_text=_("Column → URI template of the thing it points to in other data, e.g. "
                    "{\"district\": \"https://www.wikidata.org/wiki/{district_qid}\"}."),
    )
    declared_schema = models.JSONField(
        _("declared table schema"), null=True, blank=True,
        help_text=_("A Frictionless Table Schema the uploads must follow; empty to infer it from each upload."),
    )
    generated = models.CharField(
        _("generated"), max_length=30, blank=True, editable=False,
        help_text=_("Set when Cityline writes this distribution itself (KPI measurements)."),
    )
    pack_file = models.CharField(_("file in the city pack"), max_length=300, blank=True,
                                 help_text=_("Path of the data file inside the city pack, for imports."))

    class Meta(KeyedRecord.Meta):
        ordering = ["dataset", "key"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.uuid is None and self.key and self.city_id:
            self.uuid = stable_uuid(City.objects.values_list("key", flat=True).get(pk=self.city_id), "distribution",
                                    self.key)
        super().save(*args, **kwargs)
        DistributionVersion.objects.filter(distribution=self).refresh_public()  # the kind may have changed

    @property
    def key_column_list(self) -> list[str]:
        return split_list(self.key_columns)

    def latest_version(self) -> DistributionVersion | None:
        return self.versions.order_by("-number").first()

    def clean(self) -> None:
        super().clean()
        if self.kind in (choices.DistributionKind.REMOTE, choices.DistributionKind.API) and not self.access_url:
            raise ValidationError({"access_url": _("a file elsewhere or an API needs its access URL")})
        if self.column_links and not isinstance(self.column_links, dict):
            raise ValidationError({"column_links": _("must map column names to URI templates")})
        if self.pack_file:
            problem = pack_path_problem(self.pack_file)
            if problem:
                raise ValidationError({"pack_file": problem})


def pack_path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a file path inside a city pack (None when it can): a relative path
    with forward slashes that stays inside the pack folder (no ``..``, no absolute path, no drive)."""
    if any(ord(c) < 32 for c in value):
        return _("must not contain control characters")
    if "\\" in value:
        return _("use forward slashes only: %(path)s") % {"path": value}
    if value.startswith("/") or (len(value) > 1 and value[1] == ":"):
        return _("must be a path inside the pack, not an absolute path: %(path)s") % {"path": value}
    if any(part in ("..", ".", "") for part in value.split("/")):
        return _("must be a plain path inside the pack (no “..”, “.” or empty parts): %(path)s") % {"path": value}
    return None


#: The verdicts that let a version out: passed, or blocked and overridden by a data steward.
RELEASED = (choices.GateResult.PASSED, choices.GateResult.OVERRIDDEN)


class VersionQuerySet(models.QuerySet):
    def visible(self, staff: bool = False) -> VersionQuerySet:
        """The versions a viewer may get (files, rows, DCAT, APIs): all for the city's staff, else the
        public ones (:meth:`DistributionVersion.is_public`). Every face filters its versions here."""
        return self if staff else self.filter(public=True)

    def refresh_public(self) -> None:
        """Store ``public`` again for these versions (after a change of the dataset, distribution or verdict)."""
        shown = self.filter(gate__in=RELEASED, distribution__kind=choices.DistributionKind.FILE,
                            distribution__dataset__public=True).values("pk")
        DistributionVersion.objects.filter(pk__in=self.filter(public=True).exclude(pk__in=shown).values("pk")
                                           ).update(public=False)
        DistributionVersion.objects.filter(pk__in=shown.filter(public=False)).update(public=True)


class DistributionVersion(CityRecord):
    """One upload of a held file (B8): kept, downloadable and citable at its own URL."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="versions",
                                     verbose_name=_("distribution"))
    number = models.PositiveIntegerField(_("version"))
    original_name = models.CharField(_("uploaded file name"), max_length=255)
    path = models.CharField(_("stored file"), max_length=500, help_text=_("Relative to the data directory."))
    parquet_path = models.CharField(_("Parquet copy"), max_length=500, blank=True)
    media_type = models.CharField(_("media type"), max_length=100)
    byte_size = models.BigIntegerField(_("size in bytes"))
    checksum = models.CharField(_("SHA-256"), max_length=64)
    source_checksum = models.CharField(_("SHA-256 of the upload"), max_length=64, blank=True,
                                       help_text=_("Of the file as uploaded, before decompression or re-encoding."))
    row_count = models.BigIntegerField(_("rows"), null=True, blank=True)
    table_schema = models.JSONField(_("table schema"), null=True, blank=True)
    changes = models.JSONField(_("changes from the previous version"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True, help_text=_("What changed, in the uploader's words."))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    gate = models.CharField(_("privacy gate"), max_length=12, choices=choices.GateResult.choices, blank=True,
                            editable=False, help_text=_("The gate's latest verdict on this version; empty until "
                                                        "reviewed."))
    public = models.BooleanField(
        _("public"), default=False, editable=False, db_index=True,
        help_text=_("Its dataset is public, it is a held file and the gate has not blocked this version (kept by "
                    "save and by the privacy gate)."))

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["distribution", "-number"]
        verbose_name = _("distribution version")
        verbose_name_plural = _("distribution versions")
        constraints = [models.UniqueConstraint(fields=["distribution", "number"],
                                               name="opendata_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.distribution} v{self.number}"

    def save(self, *args, **kwargs):
        self.public = self.is_public()
        super().save(*args, **kwargs)

    def is_public(self) -> bool:
        """Anyone may get this version: its dataset is public, its distribution still a held file, and the
        privacy gate's latest verdict on it passed or was overridden (B8, B10)."""
        dist = self.distribution
        return bool(self.gate in RELEASED and dist.kind == choices.DistributionKind.FILE and dist.dataset.public)

    @property
    def tabular(self) -> bool:
        return bool(self.parquet_path)


class PrivacyReview(CityRecord):
    """The privacy gate's verdict on one version of a held file, or a data steward's override (B8, B10)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="privacy_reviews",
                                verbose_name=_("dataset"))
    distribution_version = models.ForeignKey(DistributionVersion, on_delete=models.CASCADE,
                                             related_name="privacy_reviews", verbose_name=_("version"))
    result = models.CharField(_("result"), max_length=12, choices=choices.GateResult.choices)
    report = models.JSONField(_("report"), default=dict, blank=True)
    k = models.PositiveIntegerField(_("k"), null=True, blank=True,
                                    help_text=_("Smallest group of rows sharing the quasi-identifiers."))
    steward = models.ForeignKey(Person, on_delete=models.RESTRICT, null=True, blank=True,
                                related_name="privacy_overrides", verbose_name=_("data steward"))
    justification = models.TextField(_("justification"), blank=True)
    created_at = models.DateTimeField(_("reviewed"), auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-created_at", "-id"]
        verbose_name = _("privacy review")
        verbose_name_plural = _("privacy reviews")

    def __str__(self) -> str:
        return f"{self.distribution_version}: {self.get_result_display()}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # the version's verdict is its latest review's: stored on the version, which decides who may get it
        versions = DistributionVersion.objects.filter(pk=self.distribution_version_id)
        latest = (PrivacyReview.objects.filter(distribution_version_id=self.distribution_version_id)
                  .order_by("-created_at", "-id").values("result")[:1])
        versions.update(gate=models.Subquery(latest))
        versions.refresh_public()

    def clean(self) -> None:
        super().clean()
        if self.result == choices.GateResult.OVERRIDDEN:
            if not self.steward_id:
                raise ValidationError({"steward": _("an override needs the data steward who takes responsibility")})
            if len((self.justification or "").strip()) < 20:
                raise ValidationError({"justification": _("an override needs a justification of at least "
                                                          "20 characters")})


class TakeUpCount(models.Model):
    """How often a dataset was viewed, downloaded or called through the API on one day (B7.d, B8).

    Counters only: no IP address, user or other personal data is kept.
    """

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="take_up")
    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="take_up")
    kind = models.CharField(max_length=10, choices=choices.TakeUpKind.choices)
    day = models.DateField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "day"]
        verbose_name = _("take-up count")
        verbose_name_plural = _("take-up counts")
        # No unique constraint: two requests racing to open the same day's row may both insert one;
        # every figure is a sum over rows, so that costs a row, never a count.
        indexes = [models.Index(fields=["dataset", "kind", "day"], name="opendata_takeup_lookup")]


class CatalogueStampQuerySet(models.QuerySet):
    def current(self, city_id: int) -> tuple[int, uuid.UUID] | None:
        """The city's stamp (version and latest change), or None while no catalogue record has changed."""
        return self.filter(city_id=city_id).values_list("version", "change").first()

    def bump(self, city_id: int) -> None:
        """Count one change of the city's catalogue, in the caller's transaction (the row stays locked until it
        ends, so concurrent writers of the city's catalogue take turns here and the stored version grows in the
        order of their commits)."""
        values = {"version": models.F("version") + 1, "change": uuid.uuid4()}
        if not self.filter(city_id=city_id).update(**values):
            # the city's first change: a writer racing to create the row waits for this one, then adds one to it
            self.bulk_create([self.model(city_id=city_id)], ignore_conflicts=True)
            self.filter(city_id=city_id).update(**values)


class CatalogueStamp(models.Model):
    """How often a city's catalogue has changed: the CKAN API's cached catalogue of the city is current
    while the stamp is the one it was read at (:func:`cityline.opendata.ckan.catalogue`).

    Every transaction that writes a record the catalogue shows bumps the stamp inside that transaction, so
    the stamp and the change become visible together, and the row lock makes concurrent writers take turns:
    a stamp read before a change commits always differs from the stamp after it, whatever order the
    writers inserted their rows in. ``change`` is new at every bump, so a version number that comes back
    after a rollback (a test) or a restored backup is never taken for the one cached.
    """

    city = models.OneToOneField(City, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                verbose_name=_("city"))
    version = models.PositiveBigIntegerField(_("version"), default=0)
    change = models.UUIDField(_("latest change"), default=uuid.uuid4)

    objects = CatalogueStampQuerySet.as_manager()

    class Meta:
        verbose_name = _("catalogue stamp")
        verbose_name_plural = _("catalogue stamps")

    def __str__(self) -> str:
        return f"{self.city_id}: {self.version}"

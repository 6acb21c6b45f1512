"""Links to records Cityline writes itself (a collection's ``exclude``, e.g. the datasets of KPI measurements).

Those records never travel in a pack, and an import neither matches nor deletes them. A record of the pack may
still link to one (a consultation citing the open dataset of a KPI's measurements, chosen in the editor): the
export must still work, leaving that link out, and re-importing the exported pack keeps the link (C2.g, B3).
"""

from __future__ import annotations

import pytest

from cityline.core import actions
from cityline.core.packs import export_pack, import_pack
from cityline.opendata.kpidata import sync_kpi
from cityline.opendata.models import Dataset
from cityline.participation.models import Consultation

from .packs_helpers import read_files

pytestmark = pytest.mark.django_db


def test_a_link_to_a_kpi_measurement_dataset_is_left_out_of_the_export_and_kept_by_the_import(demo_city, tmp_path):
    from cityline.benefits.models import Kpi

    kpi = Kpi.objects.filter(city=demo_city, published=True).order_by("key").first()
    sync_kpi(kpi)
    kpi_dataset = Dataset.objects.get(city=demo_city, source_kpi=kpi)
    consultation = Consultation.objects.filter(city=demo_city).order_by("key").first()
    cited = sorted(consultation.datasets.values_list("key", flat=True))
    actions.save(consultation, m2m={"datasets": [*consultation.datasets.all(), kpi_dataset]})

    written = export_pack(demo_city, tmp_path / "pack")  # was a KeyError: the KPI dataset has no key in the pack

    assert kpi_dataset.key not in read_files(tmp_path / "pack")["participation.yaml"].decode()
    report = import_pack(tmp_path / "pack", progress=False, trusted=True, dry_run=True)
    assert report.changes == 0, report.as_text()
    import_pack(tmp_path / "pack", progress=False, trusted=True)
    assert sorted(consultation.datasets.values_list("key", flat=True)) == sorted([*cited, kpi_dataset.key])
    assert written

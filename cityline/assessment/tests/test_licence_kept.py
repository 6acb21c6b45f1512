"""The assessment's licence (B2.g): any SPDX identifier is a licence, and a text stored before the licence was
checked never blocks saving the settings or importing the city's pack (review of bb7c2bb)."""

import json

import pytest
from django.core.exceptions import ValidationError

from cityline.assessment.models import AssessmentSettings
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import export_pack, import_pack

pytestmark = pytest.mark.django_db

EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"


@pytest.mark.parametrize("written, stored, iri", [
    ("CC-BY-3.0", "CC-BY-3.0", "https://spdx.org/licenses/CC-BY-3.0.html"),      # the old help text's promise
    ("Apache-2.0", "Apache-2.0", "https://spdx.org/licenses/Apache-2.0.html"),
    (" GPL-3.0+ ", "GPL-3.0+", "https://spdx.org/licenses/GPL-3.0+.html"),
    ("cc by sa 4.0", "CC-BY-SA-4.0", EU_LICENCE + "CC_BYSA_4_0"),               # known, written otherwise
])
def test_any_spdx_identifier_is_accepted_and_linked(demo_city, client, written, stored, iri):
    s = AssessmentSettings.objects.get(city=demo_city)
    actions.update(s, version=s.version, licence=written)
    assert AssessmentSettings.objects.get(city=demo_city).licence == stored
    doc = client.get(f"/{demo_city.key}/assessment.dcat.jsonld").json()
    assert doc["dct:license"] == {"@id": iri}


def test_a_free_text_stored_before_never_blocks_an_edit_of_the_settings(demo_city, client):
    AssessmentSettings.objects.filter(city=demo_city).update(licence="free for all")    # stored before the check
    s = AssessmentSettings.objects.get(city=demo_city)
    actions.update(s, version=s.version, publish=False, thresholds={"b3c_min_partner_cities": 3})
    s = AssessmentSettings.objects.get(city=demo_city)
    assert (s.publish, s.thresholds, s.licence) == (False, {"b3c_min_partner_cities": 3}, "free for all")
    actions.update(s, version=s.version, publish=True)
    doc = client.get(f"/{demo_city.key}/assessment.dcat.jsonld").json()
    assert doc["dct:license"] == {"@type": "dct:LicenseDocument", "dct:title": "free for all"}   # never an IRI


def test_a_free_text_stored_before_never_blocks_the_editor(demo_city, admin_client):
    AssessmentSettings.objects.filter(city=demo_city).update(licence="free for all")
    s = AssessmentSettings.objects.get(city=demo_city)
    url = f"/admin/assessment/assessmentsettings/{s.pk}/change/"
    response = admin_client.post(url, {"thresholds": json.dumps({"b3c_min_partner_cities": 3}), "licence":
                                       "free for all", "opened_version": s.version})
    assert response.status_code == 302, response.content.decode()
    s = AssessmentSettings.objects.get(pk=s.pk)
    assert (s.publish, s.thresholds, s.licence) == (False, {"b3c_min_partner_cities": 3}, "free for all")


def test_changing_the_licence_to_another_free_text_is_still_refused(demo_city):
    AssessmentSettings.objects.filter(city=demo_city).update(licence="free for all")
    s = AssessmentSettings.objects.get(city=demo_city)
    with pytest.raises(ValidationError) as err:
        actions.update(s, version=s.version, licence="free for everyone")
    [message] = err.value.message_dict["licence"]
    assert "'free for everyone' is not a licence identifier" in message and "URL" in message
    assert AssessmentSettings.objects.get(city=demo_city).licence == "free for all"


@pytest.mark.parametrize("licence", ["CC-BY-3.0", "free for all"])
def test_an_exported_pack_imports_again_whatever_licence_was_stored(tmp_path, licence):
    """The licence is not in the pack: an import that writes the settings used to be refused on it."""
    city = actions.create(City, key="home", name="Home", country="GB")
    actions.create(AssessmentSettings, city=city, publish=False)
    AssessmentSettings.objects.filter(city=city).update(licence=licence)      # stored before the check
    export_pack("home", tmp_path / "p")
    pack = tmp_path / "p" / "assessment.yaml"
    pack.write_text(pack.read_text().replace("publish: false", "publish: true"))     # the import writes the settings
    import_pack(tmp_path / "p", progress=False, trusted=True)
    s = AssessmentSettings.objects.get(city=city)
    assert (s.publish, s.licence) == (True, licence)

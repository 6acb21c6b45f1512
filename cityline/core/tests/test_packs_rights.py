"""Rights of a pack import (B10): ``cityline pack import --user`` and ``import_pack(user=...)`` ask the authorisation
layer for every record they would create, change or delete (a link cut before a deletion included) and for every
data file they would store, as the editor and the API do. A refusal names the file, the record and the right it
needs, and nothing is written (no row, no file); imports within the user's rights, by a platform administrator and
by the local operator work as before, and only ``trusted=True`` is asked for nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts.authz import principal_for_user
from cityline.accounts.models import FederatedIdentity, IdentityProvider
from cityline.accounts.testing import grant
from cityline.cli import main
from cityline.core import actions
from cityline.core.models import City, Document, Organisation, Person
from cityline.core.packs import PackError, PackRefused, export_pack, import_pack

from .packs_helpers import SMALL, edit, snapshot

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ISSUER = "issuer: https://id.brookfield.example.org\n"


@pytest.fixture(autouse=True)
def no_acting_user_from_the_environment(monkeypatch):
    monkeypatch.delenv("CITYLINE_USER", raising=False)


@pytest.fixture
def city(db) -> City:
    """Brookfield (the small pack, imported by the operator) with an identity provider a platform
    administrator signs in with."""
    import_pack(SMALL, progress=False, trusted=True)
    brookfield = City.objects.get(key="brookfield")
    provider = actions.create(IdentityProvider, city=brookfield, key="brookfield-id", name="Brookfield ID",
                              issuer="https://id.brookfield.example.org", client_id="cityline", trust_level=2,
                              enabled=False)
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    FederatedIdentity.objects.create(user=root, provider=provider, subject="root-sub")
    return brookfield


@pytest.fixture
def ada(city):
    """The programme administrator of Brookfield."""
    user = get_user_model().objects.create_user("ada", "ada@example.org", PASSWORD)
    grant(user, "programme_admin", city=city)
    return user


@pytest.fixture
def pack(city, tmp_path) -> Path:
    """Brookfield as exported: importing it unchanged changes nothing."""
    out = tmp_path / "pack"
    export_pack(city, out)
    return out


def import_as(capsys, pack: Path, user: str | None, *extra: str) -> tuple[int, str, str]:
    code = main(["pack", "import", str(pack), *extra, *(["--user", user] if user else [])])
    out, err = capsys.readouterr()
    return code, out, err


def line_of(pack: Path, file: str, text: str) -> int:
    """The line where ``text`` starts in a pack file."""
    content = (pack / file).read_text(encoding="utf-8")
    return content[:content.index(text)].count("\n") + 1


def provider_state() -> tuple:
    p = IdentityProvider.objects.get(key="brookfield-id")
    links = sorted(FederatedIdentity.objects.filter(provider=p).values_list("user__username", "subject"))
    return p.issuer, p.trust_level, p.enabled, p.version, links


def rewrite_provider(pack: Path) -> None:
    """The audit's attack: the provider's issuer is the attacker's, trusted high and enabled."""
    edit(pack, "identity.yaml", ISSUER, "issuer: https://evil.example.net\n")
    edit(pack, "identity.yaml", "trust_level: 2\n", "trust_level: 3\n")
    edit(pack, "identity.yaml", "enabled: false\n", "enabled: true\n")


def rename_council(pack: Path) -> None:
    """A change the programme administrator may make."""
    edit(pack, "core.yaml", "name: Brookfield Town Council\n", "name: Brookfield City Council\n")


# --- refused: identity providers, the city record, another city's records ------------------------------------


def test_programme_admin_may_not_rewrite_an_identity_provider(capsys, ada, pack):
    rewrite_provider(pack)
    rename_council(pack)  # allowed on its own, but the import is all or nothing
    before, provider = snapshot(), provider_state()
    code, out, err = import_as(capsys, pack, "ada")
    assert code == 2, out
    line = line_of(pack, "identity.yaml", "- key: brookfield-id")
    assert (f"identity.yaml:{line}: identity_providers[0]: ada may not change identity provider 'brookfield-id' "
            "(issuer, trust_level, enabled): that needs a platform administrator") in err
    assert "1 problem found; ada may not make this import; nothing was imported." in err
    assert snapshot() == before and provider_state() == provider
    assert Organisation.objects.get(key="council").name == "Brookfield Town Council"


def test_programme_admin_may_not_add_or_delete_identity_providers(capsys, ada, pack):
    edit(pack, "identity.yaml", "key: brookfield-id\n", "key: evil-id\n")  # brookfield-id gone, evil-id new
    before, provider = snapshot(), provider_state()
    code, _, err = import_as(capsys, pack, "ada")
    assert code == 2
    line = line_of(pack, "identity.yaml", "- key: evil-id")
    assert (f"identity.yaml:{line}: identity_providers[0]: ada may not add identity provider 'evil-id': that needs a "
            "platform administrator") in err
    assert ("identity.yaml: identity_providers: ada may not delete identity provider 'brookfield-id', which the "
            "pack no longer lists: that needs a platform administrator") in err
    assert "2 problems found" in err
    assert snapshot() == before and provider_state() == provider
    assert list(IdentityProvider.objects.values_list("key", flat=True)) == ["brookfield-id"]


def test_programme_admin_may_not_change_the_city_record(capsys, ada, pack, city):
    edit(pack, "pack.yaml", "  name: Brookfield\n", "  name: Brookfield City\n")
    edit(pack, "pack.yaml", "  population: 52000\n", "  population: 99000\n")
    before = snapshot()
    code, _, err = import_as(capsys, pack, "ada")
    assert code == 2
    line = line_of(pack, "pack.yaml", "  key: brookfield")
    assert (f"pack.yaml:{line}: city: ada may not change city 'brookfield' (name, population): that needs a "
            "platform administrator") in err
    assert snapshot() == before
    city.refresh_from_db()
    assert (city.name, city.population, city.version) == ("Brookfield", 52000, 1)


def test_a_dry_run_is_refused_alike(capsys, ada, pack):
    rewrite_provider(pack)
    before, provider = snapshot(), provider_state()
    code, out, err = import_as(capsys, pack, "ada", "--dry-run")
    assert code == 2 and "ada may not change identity provider 'brookfield-id'" in err and "Dry run" not in out
    assert snapshot() == before and provider_state() == provider


def test_another_citys_records_are_refused(capsys, ada, city, tmp_path):
    other = tmp_path / "other"
    export_pack(city, other)
    edit(other, "pack.yaml", "  key: brookfield\n", "  key: elsewhere\n")
    edit(other, "identity.yaml", "key: brookfield-id\n", "key: elsewhere-id\n")
    import_pack(other, progress=False, trusted=True)  # the operator creates Elsewhere
    rename_council(other)
    before = snapshot()
    # the command refuses at once ...
    code, _, err = import_as(capsys, other, "ada")
    assert code == 2 and "ada may not replace the operating model of 'elsewhere'" in err
    # ... and the importer refuses each record, whoever calls it
    with pytest.raises(PackRefused) as refused:
        import_pack(other, progress=False, principal=principal_for_user(ada))
    text = str(refused.value)
    line = line_of(other, "core.yaml", "- key: council")
    assert (f"core.yaml:{line}: organisations[0]: ada may not change organisation 'council' (name): that needs the "
            "programme administrator role of 'elsewhere'") in text
    assert snapshot() == before
    assert Organisation.objects.get(city__key="elsewhere", key="council").name == "Brookfield Town Council"


def test_object_level_rules_apply_record_by_record(ada, pack, city):
    """A contributor of the university may change its records only: not the council's, nor move one to or from
    another organisation (the record is asked for as stored and as it would be)."""
    cai = get_user_model().objects.create_user("cai", "cai@example.org", PASSWORD)
    grant(cai, "contributor", organisation=Organisation.objects.get(city=city, key="uni"))
    edit(pack, "core.yaml", "name: Cai Berg\n", "name: Cai Berg-Lind\n")  # uni's person: allowed
    edit(pack, "core.yaml", "name: Bo Strand\n", "name: Bo Strand-Berg\n")  # the council's person: refused
    before = snapshot()
    with pytest.raises(PackRefused) as refused:
        import_pack(pack, progress=False, principal=principal_for_user(cai))
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1, problems
    assert "people[1]: cai may not change person 'bo' (name): that needs the contributor role of its " \
           "organisation or the programme administrator role of 'brookfield'" in problems[0]
    assert snapshot() == before
    assert Person.objects.get(key="cai").name == "Cai Berg"
    # uni's person moved to the council (refused as it would be), the council's to uni (refused as stored)
    edit(pack, "core.yaml", "name: Bo Strand-Berg\n", "name: Bo Strand\n")
    move(pack, "key: cai\n", "organisation: uni\n", "organisation: council\n")
    move(pack, "key: bo\n", "organisation: council\n", "organisation: uni\n")
    with pytest.raises(PackRefused) as refused:
        import_pack(pack, progress=False, principal=principal_for_user(cai))
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 2, problems
    assert "cai may not change person 'bo' (organisation)" in problems[0]
    assert "cai may not change person 'cai' (name, organisation)" in problems[1]
    assert snapshot() == before
    assert dict(Person.objects.values_list("key", "organisation__key")) == {"ana": "council", "bo": "council",
                                                                            "cai": "uni"}


def move(pack: Path, record: str, old: str, new: str) -> None:
    """Replace the first ``old`` after ``record`` in core.yaml."""
    text = (pack / "core.yaml").read_text(encoding="utf-8")
    at = text.index(record)
    (pack / "core.yaml").write_text(text[:at] + text[at:].replace(old, new, 1), encoding="utf-8")


# --- allowed: within the user's rights, a platform administrator, the operator ----------------------------------


def test_programme_admin_imports_what_their_role_covers(capsys, ada, pack):
    rename_council(pack)
    edit(pack, "core.yaml", "documents:\n", "documents:\n  - key: new-plan\n    title: New plan\n"
                                            "    doc_type: strategy\n    status: draft\n")
    provider = provider_state()
    code, out, err = import_as(capsys, pack, "ada")
    assert code == 0, err
    assert "2 records changed" in out
    council = Organisation.objects.get(key="council")
    assert council.name == "Brookfield City Council" and council.history.first().history_user.username == "ada"
    assert Document.objects.filter(key="new-plan").exists()
    assert provider_state() == provider  # listed unchanged: no right needed


def test_platform_admin_may_change_providers_and_the_city(capsys, ada, pack, city):
    rewrite_provider(pack)
    edit(pack, "pack.yaml", "  population: 52000\n", "  population: 99000\n")
    code, _, err = import_as(capsys, pack, "root")
    assert code == 0, err
    issuer, trust, enabled, _version, links = provider_state()
    assert (issuer, trust, enabled) == ("https://evil.example.net", 3, True) and links == [("root", "root-sub")]
    city.refresh_from_db()
    assert city.population == 99000 and city.history.first().history_user.username == "root"


def test_the_operator_is_asked_for_nothing(capsys, pack, city):
    rewrite_provider(pack)
    code, _, err = import_as(capsys, pack, None)
    assert code == 0, err
    assert provider_state()[:3] == ("https://evil.example.net", 3, True)


def test_other_problems_are_reported_with_the_refusals(ada, pack):
    rewrite_provider(pack)
    edit(pack, "core.yaml", "sector: academic\n", "sector: nonsense\n")
    with pytest.raises(PackRefused) as refused:
        import_pack(pack, progress=False, principal=principal_for_user(ada))
    text = str(refused.value)
    assert "ada may not change identity provider 'brookfield-id'" in text and "nonsense" in text
    assert isinstance(refused.value, PackError)


# --- a link cut before a deletion is a change like any other ---------------------------------------------------


def test_unlinking_a_circle_before_deleting_it_needs_the_right_to_change(capsys, ada, pack, monkeypatch):
    """Two governance bodies the pack no longer lists report to each other: the import unlinks one to delete both.
    The unlinking is a change of that record and is asked for as one (here under a policy that lets ada delete
    the two bodies but not change them); refused, nothing is deleted nor unlinked."""
    from cityline.accounts import authz
    from cityline.strategy.models import GovernanceBody

    city = City.objects.get(key="brookfield")
    east = actions.create(GovernanceBody, city=city, key="east", name="East board", level="strategic", remit="East")
    actions.create(GovernanceBody, city=city, key="west", name="West board", level="strategic", remit="West",
                   parent=east)
    actions.update(east, parent=GovernanceBody.objects.get(key="west"))
    policy = authz.can

    def may_delete_not_change(principal, action, target, **kw):
        if action == "change" and isinstance(target, GovernanceBody) and target.key in ("east", "west"):
            return False
        return policy(principal, action, target, **kw)

    monkeypatch.setattr(authz, "can", may_delete_not_change)
    before = snapshot()
    code, out, err = import_as(capsys, pack, "ada")
    assert code == 2, out
    assert ("strategy.yaml: governance_bodies: ada may not change governance body 'east' (parent), which the pack "
            "no longer lists, to unlink it before it is deleted: that needs the programme administrator role of "
            "'brookfield'") in err, err
    assert "1 problem found; ada may not make this import; nothing was imported." in err
    assert snapshot() == before
    bodies = GovernanceBody.objects.filter(key__in=["east", "west"])
    assert dict(bodies.values_list("key", "parent__key")) == {"east": "west", "west": "east"}
    # with the right to change them, the same import unlinks and deletes both
    monkeypatch.setattr(authz, "can", policy)
    code, _, err = import_as(capsys, pack, "ada")
    assert code == 0, err
    assert not bodies.exists()


# --- import_pack from code: a user's rights are asked; trusting is said out loud ----------------------------------


def test_import_pack_with_a_user_asks_that_users_rights(ada, pack):
    rewrite_provider(pack)
    rename_council(pack)
    before, provider = snapshot(), provider_state()
    with pytest.raises(PackRefused) as refused:
        import_pack(pack, user=ada, progress=False)
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1 and "ada may not change identity provider 'brookfield-id' (issuer, trust_level, " \
                                  "enabled): that needs a platform administrator" in problems[0], problems
    assert snapshot() == before and provider_state() == provider
    # what is theirs goes through, recorded as theirs
    edit(pack, "identity.yaml", "issuer: https://evil.example.net\n", ISSUER)
    edit(pack, "identity.yaml", "trust_level: 3\n", "trust_level: 2\n")
    edit(pack, "identity.yaml", "enabled: true\n", "enabled: false\n")
    assert import_pack(pack, user=ada, progress=False).changes == 1
    assert Organisation.objects.get(key="council").history.first().history_user == ada


def test_a_user_without_roles_or_a_deactivated_one_may_import_nothing(ada, pack):
    rename_council(pack)
    nobody = get_user_model().objects.create_user("nobody", "nobody@example.org", PASSWORD)
    ada.is_active = False
    ada.save()
    before = snapshot()
    for user in (nobody, ada):
        with pytest.raises(PackRefused) as refused:
            import_pack(pack, user=user, progress=False)
        assert "may not change organisation 'council' (name)" in str(refused.value)
    assert snapshot() == before


def test_an_import_says_who_imports_or_that_it_is_trusted(ada, pack):
    rewrite_provider(pack)
    before = snapshot()
    with pytest.raises(TypeError, match="trusted=True"):
        import_pack(pack, progress=False)
    with pytest.raises(TypeError, match="trusted"):
        import_pack(pack, progress=False, trusted=True, principal=principal_for_user(ada))
    assert snapshot() == before
    # the platform's own set-up says so, and may name whom the history records
    assert import_pack(pack, user=ada, trusted=True, progress=False).changes == 1
    assert provider_state()[:3] == ("https://evil.example.net", 3, True)
    assert IdentityProvider.objects.get(key="brookfield-id").history.first().history_user == ada


# --- the pack's data files (opendata.yaml's pack_file) --------------------------------------------------------


STOPS_CSV = "stop,name,lat,lon\ns1,Market Square,59.91,10.75\ns2,Harbour,59.90,10.74\n"


@pytest.fixture
def catalogue(settings, tmp_path) -> Path:
    """The open data test catalogue (Testville) with a held file in the council's dataset and one in the bus
    company's, exported as a pack; its stored files are kept in a folder of the test's own."""
    from cityline.opendata import services
    from cityline.opendata.models import Dataset, Distribution
    from cityline.opendata.testing import make_catalogue_city, sample_files

    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    air = Distribution.objects.select_related("dataset", "city").get(city=city, key="air-quality-csv")
    actions.update(air, pack_file="data/air-quality.csv")
    services.upload_version(air, sample_files(tmp_path / "upload")["air-quality-csv"])
    stops = actions.create(Distribution, city=city, key="bus-stops-csv", dataset=Dataset.objects.get(key="bus-stops"),
                           title="Stops (CSV)", format="CSV", media_type="text/csv", pack_file="data/bus-stops.csv")
    (tmp_path / "upload" / "bus-stops.csv").write_text(STOPS_CSV, encoding="utf-8")
    services.upload_version(stops, tmp_path / "upload" / "bus-stops.csv")
    out = tmp_path / "pack"
    export_pack(city, out)
    return out


def steward(name: str, organisation: str):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD)
    grant(user, "data_steward", organisation=Organisation.objects.get(city__key="testville", key=organisation))
    return user


def add_rows(catalogue: Path) -> None:
    """A new row in each of the pack's two data files."""
    air = catalogue / "data" / "air-quality.csv"
    air.write_text(air.read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    stops = catalogue / "data" / "bus-stops.csv"
    stops.write_text(stops.read_text() + "s3,Station,59.92,10.76\n")


def open_data_state(settings) -> tuple:
    """Every stored version, review and dataset row, and every stored file with its content."""
    from cityline.opendata.models import Dataset, DistributionVersion, PrivacyReview

    root = Path(settings.CITYLINE_OPENDATA_DIR)
    return (sorted(DistributionVersion.objects.values_list("distribution__key", "number", "checksum")),
            PrivacyReview.objects.count(),
            sorted(Dataset.objects.values_list("key", "version", "gate", "modified")),
            {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()})


@pytest.mark.parametrize("acting", ["principal", "user"])
def test_a_data_file_of_another_organisations_dataset_is_refused_and_nothing_is_stored(catalogue, settings, acting):
    bea = steward("bea", "buses")  # may replace the bus stops, not the council's air readings
    add_rows(catalogue)
    before = open_data_state(settings)
    who = {"principal": principal_for_user(bea)} if acting == "principal" else {"user": bea}
    for dry_run in (True, False):
        with pytest.raises(PackRefused) as refused:
            import_pack(catalogue, progress=False, dry_run=dry_run, **who)
        problems = [str(p) for p in refused.value.problems]
        assert problems == [
            "opendata.yaml: distributions.air-quality-csv.pack_file: data/air-quality.csv: bea may not change "
            "distribution 'air-quality-csv' of dataset 'air-quality' (a new version of its data file): that needs "
            "the data steward role of its organisation or the programme administrator role of 'testville'"]
        # refused whole: the bus stops' file, hers to replace, is not stored either
        assert open_data_state(settings) == before


def test_a_data_file_the_user_may_change_is_stored_as_theirs(catalogue, settings, capsys):
    from cityline.opendata.models import Distribution

    dana = steward("dana", "council")
    air = catalogue / "data" / "air-quality.csv"
    air.write_text(air.read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")  # the bus stops' file unchanged
    assert import_pack(catalogue, user=dana, progress=False).changes == 0
    latest = Distribution.objects.get(key="air-quality-csv").latest_version()
    assert latest.number == 2 and latest.history.first().history_user == dana
    # the command: the programme administrator replaces both
    ada = get_user_model().objects.create_user("ada", "ada@example.org", PASSWORD)
    grant(ada, "programme_admin", city=City.objects.get(key="testville"))
    add_rows(catalogue)
    code, out, err = import_as(capsys, catalogue, "ada")
    assert code == 0, err
    held = Distribution.objects.filter(key__in=["air-quality-csv", "bus-stops-csv"])
    assert {d.key: d.latest_version().number for d in held} == {"air-quality-csv": 3, "bus-stops-csv": 2}


def test_the_command_refuses_a_data_file_alike(catalogue, settings, capsys, monkeypatch):
    """``pack import --user``: the programme administrator, under a policy that keeps the council's air readings
    from her, is refused the file with exit code 2; nothing is stored."""
    from cityline.accounts import authz
    from cityline.opendata.models import Distribution

    ada = get_user_model().objects.create_user("ada", "ada@example.org", PASSWORD)
    grant(ada, "programme_admin", city=City.objects.get(key="testville"))
    policy = authz.can

    def not_the_air_readings(principal, action, target, **kw):
        if isinstance(target, Distribution) and target.key == "air-quality-csv" and action != "view":
            return False
        return policy(principal, action, target, **kw)

    monkeypatch.setattr(authz, "can", not_the_air_readings)
    add_rows(catalogue)
    before = open_data_state(settings)
    code, out, err = import_as(capsys, catalogue, "ada")
    assert code == 2, out
    assert ("opendata.yaml: distributions.air-quality-csv.pack_file: data/air-quality.csv: ada may not change "
            "distribution 'air-quality-csv' of dataset 'air-quality' (a new version of its data file)") in err, err
    assert "1 problem found; ada may not make this import; nothing was imported." in err
    assert open_data_state(settings) == before

"""The tamper-evident audit trail (B2.g, B10): every historical row sealed in one hash chain."""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, connections, transaction

from cityline import cli
from cityline.core import actions, audit
from cityline.core.models import AuditEntry, Organisation
from cityline.core.testing import make_city, make_organisation

pytestmark = pytest.mark.django_db


def _history_rows() -> int:
    return sum(hm.objects.count() for hm in audit.historical_models())


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


@pytest.fixture
def town():
    city = make_city()
    org = make_organisation(city, name="City Council")
    actions.update(org, name="Metropolitan Council", reason="merger")
    make_organisation(city, key="utility", sector="private")
    return city, org


def test_every_historical_row_is_sealed_and_the_chain_verifies(town):
    report = audit.verify()
    assert report.ok, report.problems
    assert report.entries == _history_rows() == AuditEntry.objects.count() == 4
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
    first, *rest = AuditEntry.objects.all()
    assert first.prev_hash == audit.GENESIS and first.model == "core.city"
    assert [e.prev_hash for e in rest] == [e.hash for e in AuditEntry.objects.all()][:-1]
    change = AuditEntry.objects.get(seq=3)
    assert (change.model, change.kind, change.object_id, change.city_id) == (
        "core.organisation", "~", town[1].pk, town[0].pk)
    assert audit.head() == (4, AuditEntry.objects.get(seq=4).hash)


def test_a_historical_row_edited_with_raw_sql_is_detected_and_named(town):
    city, org = town
    row = Organisation.history.filter(id=org.pk, history_type="~").get()
    _sql(f"UPDATE {Organisation.history.model._meta.db_table} SET name = %s WHERE history_id = %s",
         ["Forged Council", row.history_id])
    report = audit.verify()
    assert not report.ok
    [problem] = report.problems
    entry = AuditEntry.objects.get(model="core.organisation", history_id=row.history_id)
    assert (problem.seq, problem.model, problem.object_id, problem.history_id) == (
        entry.seq, "core.organisation", org.pk, row.history_id)
    assert "altered" in problem.message


def test_a_deleted_historical_row_is_detected(town):
    city, org = town
    row = Organisation.history.filter(id=org.pk, history_type="+").get()
    _sql(f"DELETE FROM {Organisation.history.model._meta.db_table} WHERE history_id = %s", [row.history_id])
    [problem] = audit.verify().problems
    assert (problem.model, problem.object_id, problem.history_id) == ("core.organisation", org.pk, row.history_id)
    assert "missing" in problem.message


def test_a_deleted_audit_entry_is_detected(town):
    AuditEntry.objects.filter(seq=2).delete()
    problems = audit.verify().problems
    assert any(p.seq == 3 and "entries 2..2 are missing" in p.message for p in problems)
    orphan = [p for p in problems if p.seq is None]
    assert orphan and orphan[0].model == "core.organisation" and "no audit entry" in orphan[0].message


def test_an_edited_audit_entry_is_detected(town):
    AuditEntry.objects.filter(seq=2).update(kind="-")  # not hashed, but checked against the row
    assert [(p.seq, "does not describe" in p.message) for p in audit.verify().problems] == [(2, True)]
    AuditEntry.objects.filter(seq=2).update(kind="+")
    AuditEntry.objects.filter(seq=3).update(actor="0" * 64)  # hash no longer matches
    problems = audit.verify().problems
    assert [(p.seq, "entry altered" in p.message) for p in problems] == [(3, True)]
    # re-hashing the edited entry does not help: the next one no longer links to it
    e = AuditEntry.objects.get(seq=3)
    AuditEntry.objects.filter(seq=3).update(
        hash=audit.entry_hash(e.prev_hash, e.seq, e.model, e.history_id, e.row_digest, e.actor, e.at))
    assert any(p.seq == 4 and "does not link" in p.message for p in audit.verify().problems)


def test_a_history_row_written_behind_the_chains_back_is_detected(town):
    city, org = town
    [row] = Organisation.history.bulk_history_create([org], update=True)  # bypasses the signal
    [problem] = audit.verify().problems
    assert problem.seq is None and problem.model == "core.organisation" and problem.object_id == org.pk
    assert "no audit entry" in problem.message
    AuditEntry.objects.all().delete()
    audit.chain_existing(apps)  # the data migration seals what is there, in history order
    assert audit.verify().ok


def test_the_bulk_path_seals_its_rows(town):
    city, org = town
    rows = audit.bulk_history_create(Organisation, [org], update=True)
    assert len(rows) == 1 and AuditEntry.objects.filter(model="core.organisation",
                                                       history_id=rows[0].history_id).exists()
    assert audit.verify().ok


def test_the_actor_is_a_pseudonym_and_erasing_the_user_keeps_the_chain_valid(town):
    city, org = town
    user = get_user_model().objects.create_user("councillor-jane")
    actions.update(org, name="Greater Council", user=user)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.actor == audit.pseudonym(user.pk) and len(entry.actor) == 64
    assert "jane" not in entry.actor and str(user.pk) != entry.actor
    user.delete()  # erasure: simple-history sets history_user to NULL
    assert not Organisation.history.filter(history_user__isnull=False).exists()
    assert audit.verify().ok


def test_a_forged_history_user_is_detected(town):
    city, org = town
    user = get_user_model().objects.create_user("someone")
    row = Organisation.history.filter(id=org.pk, history_type="~").get()
    _sql(f"UPDATE {Organisation.history.model._meta.db_table} SET history_user_id = %s WHERE history_id = %s",
         [user.pk, row.history_id])
    [problem] = audit.verify().problems
    assert problem.history_id == row.history_id and "actor" in problem.message


def test_a_rolled_back_savepoint_leaves_no_gap(town):
    city, org = town
    with transaction.atomic():
        actions.update(org, name="One")
        try:
            with transaction.atomic():
                actions.update(Organisation.objects.get(pk=org.pk), name="Two")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        actions.update(Organisation.objects.get(pk=org.pk), name="Three")
    report = audit.verify()
    assert report.ok, report.problems
    assert report.head_seq == AuditEntry.objects.count() == _history_rows()


def test_the_chain_cannot_fork():
    make_city()
    make_city("elsewhere", "Elsewhere")
    first, second = AuditEntry.objects.all()
    with pytest.raises(IntegrityError), transaction.atomic():  # a second successor of the first entry
        AuditEntry.objects.create(seq=2, at=second.at, model="core.organisation", history_id=999, object_id=1,
                                  kind="+", fields="", row_digest="x", prev_hash=first.hash, hash="y")


def test_verify_for_one_city_checks_that_citys_rows(town):
    city, org = town
    other = make_city("elsewhere", "Elsewhere")
    foreign = make_organisation(other)
    row = Organisation.history.filter(id=foreign.pk).get()
    _sql(f"UPDATE {Organisation.history.model._meta.db_table} SET name = %s WHERE history_id = %s",
         ["Forged", row.history_id])
    assert audit.verify(city).ok
    assert [p.object_id for p in audit.verify(other).problems] == [foreign.pk]


def test_cli_verify_and_head(town, capsys):
    city, org = town
    assert cli.main(["audit", "verify"]) == 0
    assert "audit chain verified (all cities): 4 entries" in capsys.readouterr().out
    assert cli.main(["audit", "head"]) == 0
    seq, h = audit.head()
    assert capsys.readouterr().out.strip() == f"{seq} {h}"
    assert cli.main(["audit", "verify", "--city", "atlantis"]) == 2
    assert "no city with key 'atlantis'" in capsys.readouterr().err
    row = Organisation.history.filter(id=org.pk, history_type="~").get()
    _sql(f"DELETE FROM {Organisation.history.model._meta.db_table} WHERE history_id = %s", [row.history_id])
    assert cli.main(["audit", "verify", "--city", city.key]) == 1
    out = capsys.readouterr().out
    assert f"core.organisation object {org.pk} history {row.history_id}" in out and "1 problem" in out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_gapless_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the lock is PostgreSQL's")
    city = make_city()
    orgs = [make_organisation(city, key=f"org-{i}") for i in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(pk: int) -> None:
        try:
            barrier.wait()
            for n in range(25):
                with transaction.atomic():
                    actions.update(Organisation.objects.get(pk=pk), name=f"name {n}")
                    actions.update(Organisation.objects.get(pk=pk), description=f"change {n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(o.pk,)) for o in orgs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = audit.verify()
    assert report.ok, report.problems[:5]
    assert report.entries == 1 + 4 + 4 * 25 * 2 == report.head_seq

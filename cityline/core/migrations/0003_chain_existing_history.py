"""Seal the change history already stored in the audit chain, so an upgraded instance verifies clean.

Rows are chained in the order (history_date, model, history_id). It depends on the latest
migration of every app with historical tables at the time it was written; tables added later
start empty and are sealed as they are written (cityline.core.audit).
"""

from django.db import migrations


def chain(apps, schema_editor):
    from cityline.core.audit import chain_existing

    chain_existing(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_auditentry"),
        ("accounts", "0001_initial"),
        ("architecture", "0001_initial"),
        ("assessment", "0003_settings_licence"),
        ("benchmarking", "0002_peer_assessment"),
        ("benefits", "0001_initial"),
        ("citizen_services", "0002_scenario_yearly_default"),
        ("delivery", "0001_initial"),
        ("developments", "0001_initial"),
        ("opendata", "0001_initial"),
        ("risks", "0001_initial"),
        ("strategy", "0001_initial"),
    ]

    operations = [migrations.RunPython(chain, migrations.RunPython.noop)]

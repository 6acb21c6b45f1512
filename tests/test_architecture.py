"""Cheap checks that keep the architecture true (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cityline"

# Modules that are faces over the actions layer: they must never write records themselves.
FACE_NAMES = {"views.py", "api.py", "admin.py", "editor.py", "public.py", "publish.py", "commands.py"}
WRITE = re.compile(r"(?<!actions)\.(save|delete)\((?!commit=False)|objects\.(create|bulk_create|get_or_create|update_or_create)\(")


def _python_files(pred):
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and pred(p))


def test_domain_modules_do_not_import_django():
    offenders = []
    for path in _python_files(lambda p: "domain" in p.parts):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.level == 0 else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "django"]
    assert not offenders, "domain/ must stay free of Django:\n" + "\n".join(offenders)


def test_faces_do_not_write_directly():
    offenders = []
    for path in _python_files(lambda p: p.name in FACE_NAMES or "api" in p.parts and "tests" not in p.parts):
        if "tests" in path.parts:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITE.search(line.split("#")[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not offenders, "write through cityline.core.actions, not directly:\n" + "\n".join(offenders)


def test_architecture_check_catches_a_direct_save():
    assert WRITE.search("obj.save()")
    assert WRITE.search("Organisation.objects.create(name='x')")
    assert not WRITE.search("actions.save(obj, user=user)")
    assert not WRITE.search("form.save(commit=False)")


@pytest.mark.django_db
def test_no_missing_migrations():
    from django.test import override_settings

    out = StringIO()
    try:
        # The real migration modules: the suite runs with --no-migrations, which hides them (see test_migrations.py).
        with override_settings(MIGRATION_MODULES={}):
            call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"a model change has no migration (run `cityline manage makemigrations`):\n{out.getvalue()}")
        raise exc


def test_cli_docs_are_current():
    result = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'scripts'); import gen_cli_docs; print(gen_cli_docs.render(), end='')"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert result.stdout == committed, "docs/cli.md is out of date: run `python scripts/gen_cli_docs.py`"

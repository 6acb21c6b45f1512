"""Settings from the environment: no secret in the repository, one key per instance."""

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def secret_key(data_dir: Path, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import cityline.settings as s; print(s.SECRET_KEY)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "CITYLINE_DATA_DIR": str(data_dir), "CITYLINE_SECRET_KEY": "", **env},
    )
    return result.stdout.strip()


def test_instance_makes_its_own_secret_key_once_and_keeps_it_private(tmp_path):
    first = secret_key(tmp_path)
    assert len(first) >= 50 and first == secret_key(tmp_path)
    key_file = tmp_path / "secret-key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key(tmp_path / "other") != first


def test_environment_key_wins(tmp_path):
    assert secret_key(tmp_path, CITYLINE_SECRET_KEY="from-the-environment") == "from-the-environment"
    assert not (tmp_path / "secret-key").exists()


def test_the_embedded_sqlite_database_uses_the_write_ahead_log(tmp_path):
    """Readers do not wait for a writer's commit (NGSI-LD and MQTT writes beside page views)."""
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cityline.settings'); django.setup()\n"
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**env, "CITYLINE_DATA_DIR": str(tmp_path)})
    assert result.stdout.strip() == "wal"
    assert (tmp_path / "cityline.sqlite3").exists()

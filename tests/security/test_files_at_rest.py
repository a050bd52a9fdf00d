"""Finding 8: the database (with its -wal and -shm) and the token secret are readable by
the service's user only, from the moment they exist."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from assistant.api.runtime import Runtime
from assistant.auth import load_or_create_secret
from assistant.settings import Settings
from assistant.storage.db import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_shm_and_secret_are_created_0600(tmp_path: Path) -> None:
    db_file = tmp_path / "var" / "assistant.db"
    settings = Settings(
        database_url=f"sqlite:///{db_file}",
        secret_key="",
        secret_file=tmp_path / "var" / "secret.key",
        portals_file=tmp_path / "none.yaml",
        channels_file=tmp_path / "none.yaml",
        handoff_experts_file=tmp_path / "none.yaml",
    )
    rt = Runtime(settings)
    rt.start_storage()
    try:
        assert rt.db is not None
        with rt.db.write() as s:  # a write: SQLite makes the -wal and -shm files
            s.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            s.execute(text("INSERT INTO probe VALUES (1)"))
        for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm"), settings.secret_file):
            assert path.exists() and mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        rt.close()


def test_files_left_readable_by_an_older_version_are_narrowed(tmp_path: Path) -> None:
    db_file = tmp_path / "old.db"
    db_file.touch(mode=0o644)
    db_file.chmod(0o644)
    secret = tmp_path / "secret.key"
    secret.write_text("s" * 64, encoding="utf-8")
    secret.chmod(0o644)
    Database(f"sqlite:///{db_file}").dispose()
    assert load_or_create_secret(secret) == "s" * 64
    assert mode(db_file) == 0o600 and mode(secret) == 0o600

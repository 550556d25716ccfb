"""Settings come from CONVEYOR_* variables, with safe defaults and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.config import Settings, load_settings
from conveyor.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("CONVEYOR_"):
            monkeypatch.delenv(name)


def test_defaults_use_a_local_sqlite_file_and_serve_on_localhost_8000() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./conveyor.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.log_level == "INFO"
    assert settings.is_sqlite


def test_environment_variables_with_the_conveyor_prefix_override_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", "postgresql+psycopg://app@db:5432/conveyor")
    monkeypatch.setenv("CONVEYOR_HOST", "0.0.0.0")
    monkeypatch.setenv("CONVEYOR_PORT", "9000")
    monkeypatch.setenv("CONVEYOR_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://app@db:5432/conveyor"
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 9000, "DEBUG")
    assert not settings.is_sqlite


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = load_settings()
    assert settings.port == 8000
    assert settings.is_sqlite


@pytest.mark.parametrize("pasted", ["postgresql://app@db/conveyor", "postgres://app@db/conveyor"])
def test_plain_postgresql_urls_are_read_as_psycopg3(pasted: str) -> None:
    assert Settings(database_url=pasted).database_url == "postgresql+psycopg://app@db/conveyor"


def test_an_unsupported_database_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(database_url="mysql://root@localhost/conveyor")
    assert "CONVEYOR_DATABASE_URL" in caught.value.detail
    assert caught.value.errors[0]["loc"] == ["CONVEYOR_DATABASE_URL"]


def test_a_port_out_of_range_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_PORT", "70000")
    with pytest.raises(ConfigurationError, match="CONVEYOR_PORT"):
        load_settings()


def test_an_unknown_log_level_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="CONVEYOR_LOG_LEVEL"):
        load_settings(log_level="chatty")


def test_importing_the_application_opens_no_database(tmp_path: Path) -> None:
    """Settings are read and databases opened by the composition root, never at import time."""
    code = (
        "import conveyor.entrypoints.cli, conveyor.entrypoints.api, conveyor.bootstrap, "
        "conveyor.adapters.db.tables"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=60)
    assert list(tmp_path.iterdir()) == []

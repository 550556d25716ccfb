"""Settings: everything an operator can configure, read from ``CONVEYOR_*`` variables.

Settings are read when the composition root asks for them (``load_settings``),
never at import time, so tests and the CLI can point the same code at another
database by setting ``CONVEYOR_DATABASE_URL`` before they start.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conveyor.errors import ConfigurationError

ENV_PREFIX = "CONVEYOR_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """Conveyor's configuration; each field is the variable ``CONVEYOR_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///./conveyor.db",
        description="SQLAlchemy URL: sqlite:///path/to/file.db or postgresql+psycopg://user:pw@host/db",
    )
    host: str = Field(default="127.0.0.1", description="Interface `conveyor serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `conveyor serve` listens on")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: console on a terminal, JSON lines otherwise"
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        url = value.strip()
        # psycopg 3 is the only PostgreSQL driver we ship; accept the URLs people paste.
        for alias in ("postgres://", "postgresql://"):
            if url.startswith(alias):
                url = "postgresql+psycopg://" + url[len(alias) :]
        if not url.startswith(("sqlite://", "sqlite+pysqlite://", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/db")
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment (``overrides`` win).

    A bad value raises ``ConfigurationError`` naming the variable to fix, rather
    than a pydantic traceback.
    """
    try:
        return Settings(**overrides)
    except ValidationError as err:
        problems = [
            {
                "loc": [ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()],
                "msg": item["msg"],
            }
            for item in err.errors()
        ]
        names = "; ".join(f"{p['loc'][0]}: {p['msg']}" for p in problems)
        raise ConfigurationError(f"Invalid configuration: {names}", errors=problems) from err

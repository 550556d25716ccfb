"""The workflow runtime's settings, read from ``CONVEYOR_*`` variables like the rest.

They live beside the runtime rather than in ``conveyor.config`` so the runtime
can be tuned (and tests can shorten lock expiry or backoff) without every
other part of Conveyor knowing about jobs and workers.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkflowSettings(BaseSettings):
    """Each field is the variable ``CONVEYOR_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", extra="ignore", frozen=True)

    workers: int = Field(default=2, ge=0, description="Worker threads `conveyor serve` runs (0: none)")
    job_lock_seconds: float = Field(
        default=300.0, gt=0, description="How long a claimed job stays locked before another worker takes it"
    )
    job_batch: int = Field(default=5, ge=1, description="Jobs a worker thread claims at a time")
    poll_seconds: float = Field(default=1.0, gt=0, description="How long an idle worker sleeps between polls")
    retry_backoff_seconds: float = Field(
        default=10.0, ge=0, description="First retry delay of a failed handler; doubles per attempt"
    )
    retry_backoff_max_seconds: float = Field(default=3600.0, ge=0, description="Longest retry delay")
    default_retries: int = Field(
        default=3, ge=1, description="Attempts of a handler when the model says none"
    )
    message_ttl_seconds: float = Field(
        default=3600.0, ge=0, description="How long an uncorrelated message waits for its instance"
    )
    history_retention_days: int | None = Field(
        default=None, ge=0, description="Prune history of instances ended more than N days ago (unset: keep)"
    )
    step_retries: int = Field(default=5, ge=1, description="Attempts of a step that lost a concurrent update")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` failed ones so far, from 1)."""
        delay = self.retry_backoff_seconds * (2 ** max(attempt - 1, 0))
        return float(min(delay, self.retry_backoff_max_seconds))

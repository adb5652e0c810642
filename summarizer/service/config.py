"""Service settings: ``SUMMARIZER_SERVER_*`` variables (and ``SUMMARIZER_DATABASE_URL``).

The model settings stay in :class:`summarizer.Settings` (``SUMMARIZER_MODEL``...): the service
briefs with exactly what ``summarizer brief`` would use.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUMMARIZER_SERVER_", env_file=".env", extra="ignore", validate_default=True
    )

    host: str = Field(default="127.0.0.1", description="Interface to bind; loopback unless asked.")
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, description="Server processes (each runs job workers).")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUMMARIZER_DATABASE_URL", "database_url"),
        description="postgresql://... to share jobs and cache between replicas; unset: SQLite "
        "(WAL) in the user data directory.",
    )
    keys: SecretStr | None = Field(
        default=None, description="Comma-separated API keys; with any set, /v1 needs a Bearer key."
    )
    keys_file: Path | None = Field(default=None, description="A file of API keys, one a line.")
    max_body_bytes: int = Field(default=5_000_000, gt=0, description="Largest POST /v1/briefs body.")
    max_job_bytes: int = Field(default=64_000_000, gt=0, description="Largest POST /v1/jobs body.")
    body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Time a POST /v1/briefs body may take to arrive (408 after); it holds no queue "
        "place meanwhile.",
    )
    max_job_articles: int = Field(default=10_000, gt=0, description="Articles in one job.")
    concurrency: int | None = Field(
        default=None,
        gt=0,
        description="Model calls in flight per process; unset: 1 for the embedded model, 16 otherwise.",
    )
    queue_limit: int = Field(
        default=64,
        ge=0,
        description="Brief requests allowed to wait for a model slot; past it, 429 at once.",
    )
    models: str | None = Field(
        default=None,
        description="Comma-separated litellm model strings a caller may choose (the body's "
        "'model', a job's ?model=) besides the configured model, on this server's credentials; "
        "unset: only the configured model.",
    )
    share_cache: bool = Field(
        default=False,
        description="One brief cache for every API key (and for `summarizer run --database-url`); "
        "unset: each key has its own, so no key learns what another has briefed.",
    )
    rate_limit: int = Field(default=0, ge=0, description="Requests per minute per key (0: no limit).")
    lease_s: float = Field(
        default=30.0,
        gt=0,
        description="A claimed job item returns to the queue if its worker is silent this long "
        "(a killed process); live workers renew it every third of this.",
    )
    poll_s: float = Field(
        default=0.5, gt=0, description="How often idle workers and event streams look for news."
    )
    max_item_attempts: int = Field(
        default=3, ge=1, description="Claims of one job item before it is failed as poison."
    )
    shutdown_grace_s: float = Field(
        default=10.0,
        ge=0,
        description="On SIGTERM, how long in-flight work may finish before it is handed back.",
    )

    def allowed_models(self) -> list[str]:
        return [m.strip() for m in (self.models or "").split(",") if m.strip()]

    def api_keys(self) -> list[str]:
        keys = [k.strip() for k in (self.keys.get_secret_value() if self.keys else "").split(",")]
        if self.keys_file is not None:
            keys += [line.strip() for line in self.keys_file.read_text(encoding="utf-8").splitlines()]
        return [k for k in keys if k and not k.startswith("#")]


def key_id(key: str) -> str:
    """Who owns a job: a hash of the key, so the key itself is never stored or logged."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def match_key(presented: str, keys: list[str]) -> str | None:
    """The owner id of ``presented`` if it is one of ``keys``; every key compared in constant time."""
    found = None
    for key in keys:
        if hmac.compare_digest(presented.encode(), key.encode()):
            found = key
    return key_id(found) if found is not None else None

"""Configuration from arguments, ``SUMMARIZER_*`` environment variables and a ``.env`` file.

Provider keys (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``...) are *not* settings here: litellm
reads them itself, the way its users expect. ``SUMMARIZER_API_KEY`` exists for an
OpenAI-compatible server of your own; it is a ``SecretStr`` so it never prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUMMARIZER_", env_file=".env", extra="ignore", validate_default=True
    )

    model: str | None = Field(
        default=None,
        description="A litellm model string (gpt-4o-mini, anthropic/claude-..., openai/NAME with "
        "an api_base). Unset: the embedded local model.",
    )
    api_base: str | None = Field(default=None, description="Base URL of the model server.")
    api_key: SecretStr | None = Field(default=None, description="Key for api_base's server.")
    mode: Literal["json_schema", "tools", "json"] = Field(
        default="json_schema",
        description="How instructor asks for structured output: a JSON-schema response format "
        "(constrained decoding on llama.cpp, native on OpenAI), tool calls, or plain JSON.",
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1536, gt=0, description="Completion tokens per request.")
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds one request may take. Unset: 300 for a hosted model, 1800 for the "
        "embedded one (a CPU can take minutes on a long article, and a retry after a client-side "
        "timeout would queue behind the abandoned request).",
    )
    max_attempts: int = Field(
        default=5, ge=1, description="Requests per model call for transport faults (429, 5xx...)."
    )
    retry_max_wait: float = Field(default=30.0, ge=0, description="Longest pause between tries.")
    retry_total: float = Field(default=900.0, gt=0, description="Seconds after which transport retries stop.")
    rpm: int | None = Field(
        default=None,
        gt=0,
        description="At most this many model requests per minute, counted where requests are sent "
        "(re-asks, parts of long articles and retries included), shared by the whole process.",
    )
    tpm: int | None = Field(
        default=None,
        gt=0,
        description="At most this many tokens per minute (each request's prompt, estimated, plus "
        "max_tokens), shared by the whole process.",
    )
    constrain_evidence: bool | None = Field(
        default=None,
        description="Send citations as an enum of the article's sentence numbers, so a "
        "grammar-constrained server can only cite real sentences. Unset: on for the embedded model "
        "and for openai/* models at an api_base (llama.cpp, vLLM); off for hosted providers.",
    )
    reasks: int = Field(
        default=1,
        ge=0,
        description="Re-asks after an invalid answer, and of summary sentences that fail the check.",
    )
    summary_style: Literal["auto", "extractive", "free"] = Field(
        default="auto",
        description="How the summary is written. 'extractive': the article's own sentences, the lead "
        "development first, shortened at clause boundaries (exact by construction); 'free': the "
        "model's sentences that pass the claim-aware check (failing ones re-asked once). 'auto': "
        "extractive on grammar-constrained local models (a 1.5B model's paraphrases failed the "
        "check too often), free on hosted ones.",
    )
    strict: bool = Field(
        default=False,
        description="Raise GroundingError instead of dropping or rewording what the article does not back.",
    )
    context_tokens: int | None = Field(
        default=None,
        description="The model's context window, for splitting long articles. Unset: the "
        "embedded model's n_ctx, or what litellm knows of the model.",
    )
    max_article_chars: int = Field(
        default=2_000_000, gt=0, description="Inputs larger than this are refused, not briefed."
    )

    # The embedded model (llama.cpp in-process, on 127.0.0.1).
    local_model_path: Path | None = Field(
        default=None, description="A GGUF file to serve instead of the packaged Qwen2.5 1.5B."
    )
    local_ctx: int = Field(default=8192, gt=0, description="Context size of the embedded model.")
    local_threads: int | None = Field(default=None, description="CPU threads; unset: all cores.")
    local_port: int = Field(default=0, ge=0, description="Port on 127.0.0.1; 0 picks a free one.")
    cache_dir: Path | None = Field(
        default=None, description="Where the assembled GGUF is kept; unset: the user cache dir."
    )

    @property
    def uses_embedded_model(self) -> bool:
        return self.model is None

    def request_timeout(self, embedded: bool) -> float:
        return self.timeout or (1800.0 if embedded else 300.0)


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit non-None overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

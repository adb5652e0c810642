"""Settings come from SUMMARIZER_* variables, a .env file, and explicit arguments, in that order."""

from __future__ import annotations

from summarizer.backends.client import resolve_endpoint
from summarizer.settings import Settings, get_settings


def test_defaults_use_the_embedded_model():
    s = Settings()
    assert s.model is None and s.uses_embedded_model
    assert s.temperature == 0.0 and s.reasks >= 1 and s.max_attempts >= 1


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("SUMMARIZER_TIMEOUT", "12.5")
    monkeypatch.setenv("SUMMARIZER_STRICT", "true")
    s = Settings()
    assert (s.model, s.timeout, s.strict) == ("gpt-4o-mini", 12.5, True)


def test_dotenv_file_in_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text(
        "SUMMARIZER_MODEL=anthropic/claude-3-5-haiku-latest\nSUMMARIZER_MAX_TOKENS=900\n"
    )
    s = Settings()
    assert s.model == "anthropic/claude-3-5-haiku-latest" and s.max_tokens == 900


def test_explicit_overrides_win_and_none_means_unset(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_MODEL", "gpt-4o-mini")
    assert get_settings(model="openai/other").model == "openai/other"
    assert get_settings(model=None).model == "gpt-4o-mini"


def test_api_key_never_prints(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-very-secret-value-000000000000")
    s = Settings()
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in s.model_dump_json()
    assert s.api_key.get_secret_value() == "sk-very-secret-value-000000000000"


def test_invalid_values_are_rejected_with_the_field_name(monkeypatch):
    import pytest
    from pydantic import ValidationError

    monkeypatch.setenv("SUMMARIZER_TEMPERATURE", "9")
    with pytest.raises(ValidationError, match="temperature"):
        Settings()


def test_hosted_models_are_not_constrained_but_self_hosted_ones_are():
    assert not resolve_endpoint(Settings(model="gpt-4o-mini")).constrained
    local = resolve_endpoint(Settings(model="openai/qwen", api_base="http://127.0.0.1:8080/v1"))
    assert local.constrained and local.api_key is None  # a server of your own: no provider key
    assert not resolve_endpoint(
        Settings(model="openai/qwen", api_base="http://x/v1", constrain_evidence=False)
    ).constrained

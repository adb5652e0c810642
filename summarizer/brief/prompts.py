"""Render the Jinja templates in ``prompts/`` into chat messages.

The system prompt (instructions + the draft's JSON Schema) is identical for every article and
comes first, so llama.cpp's prompt cache can reuse it; the article comes last, fenced, because
it is data and may contain text that looks like instructions.
"""

from __future__ import annotations

import hashlib
import json
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from summarizer.models import Article, BriefDraft

_CLOSING_TAG = "</article>"


def templates_dir() -> Path:
    """``summarizer/prompts`` in a wheel; the repository's top-level ``prompts/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "prompts", package.parent / "prompts"):
        if (candidate / "system.j2").is_file():
            return candidate
    raise FileNotFoundError("prompt templates not found next to the summarizer package")


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


@lru_cache(maxsize=1)
def draft_schema_json() -> str:
    return json.dumps(BriefDraft.model_json_schema(), indent=None, sort_keys=True)


@lru_cache(maxsize=1)
def field_guide() -> str:
    """The draft's fields and their descriptions as a compact outline for the prompt.

    The full JSON Schema goes to the server as the response format (llama.cpp turns it into a
    grammar); the model reads this outline instead, a third of the tokens of the schema.
    """
    lines: list[str] = []

    def walk(model: type[BaseModel], indent: str) -> None:
        for name, info in model.model_fields.items():
            inner = _list_item_model(info.annotation)
            optional = " (or null)" if _is_optional(info.annotation) else ""
            least = _bound(info, "min_length")
            suffix = (
                f" A list of {f'{least} to ' if least else 'at most '}{_bound(info, 'max_length')} items; each item has:"
                if inner
                else ""
            )
            lines.append(f"{indent}- {name}{optional}: {info.description or ''}{suffix}")
            if inner:
                walk(inner, indent + "  ")

    walk(BriefDraft, "")
    return "\n".join(lines)


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _bound(info: Any, name: str) -> int | None:
    return next((getattr(m, name) for m in info.metadata if getattr(m, name, None)), None)


@lru_cache(maxsize=1)
def prompt_version() -> str:
    """A short hash of the templates and the draft schema: change either, and the version moves."""
    digest = hashlib.sha256()
    for path in sorted(templates_dir().glob("*.j2")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(draft_schema_json().encode())
    return digest.hexdigest()[:12]


def render_messages(
    article: Article, text: str | None = None, part_number: int = 1, part_count: int = 1
) -> list[dict[str, str]]:
    """Chat messages for one article (or one part of a long one, passed as ``text``)."""
    env = _env()
    body = (article.text if text is None else text).replace(_CLOSING_TAG, "</ article>")
    title = (article.title or "").strip()
    if title and body.lstrip().lstrip("#").lstrip().startswith(title):
        title = ""  # a .txt article's first line is its title: don't say it twice
    system = env.get_template("system.j2").render(fields=field_guide())
    user = env.get_template("user.j2").render(
        text=body.strip(),
        title=title or None,
        published=article.published.isoformat() if article.published else None,
        part_number=part_number,
        part_count=part_count,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def render_template(name: str, **values: Any) -> str:
    return str(_env().get_template(name).render(**values))

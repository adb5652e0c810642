"""Render the Jinja templates in ``prompts/`` into chat messages.

The system prompt is identical for every article and comes first, so llama.cpp's prompt cache
reuses it; the article comes next, fenced and numbered sentence by sentence, because it is data
and may contain text that looks like instructions; the list of voices and warnings to word and a
reminder of the rules come after it, where a small model reads them last.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any

from summarizer.brief.draft import BriefDraft, Plan
from summarizer.brief.sentences import Sentence
from summarizer.models import Article

# "</article>", "</ARTICLE >", "< /article>": any closing fence inside the data is defused.
_FENCE = re.compile(r"<\s*/?\s*article\s*>", re.IGNORECASE)
WITHHELD = "(withheld: text addressed to an AI model)"


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


def defuse(text: str) -> str:
    """Article text with anything that could close the ``<article>`` fence made inert."""
    return _FENCE.sub(lambda m: m.group().replace("<", "(").replace(">", ")"), text)


@lru_cache(maxsize=1)
def prompt_version() -> str:
    """A short hash of the templates and the draft schema: change either, and the version moves."""
    digest = hashlib.sha256()
    for path in sorted(templates_dir().glob("*.j2")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(BriefDraft.model_json_schema(), sort_keys=True).encode())
    return digest.hexdigest()[:12]


def render_messages(
    article: Article, plan: Plan, part_number: int = 1, part_count: int = 1
) -> list[dict[str, str]]:
    """Chat messages for one article (or one part of a long one)."""
    env = _env()
    title = " ".join((article.title or "").split())
    body = plan.sentences
    if plan.heading is not None:
        # A .txt article's first line is its title: shown as the title, not as a citable sentence.
        heading = plan.sentences[0]
        title = title or (WITHHELD if heading.number in plan.withheld else heading.text.lstrip("# "))
        body = [s for s in plan.sentences if s.number != plan.heading]
    title = WITHHELD if plan.title_withheld else defuse(title)

    def shown(s: Sentence) -> Sentence:
        text = WITHHELD if s.number in plan.withheld else defuse(s.text)
        return Sentence(s.number, s.start, s.end, text, s.paragraph)

    paragraphs = [[shown(s) for s in group] for _, group in groupby(body, key=lambda s: s.paragraph)]
    system = env.get_template("system.j2").render()
    user = env.get_template("user.j2").render(
        paragraphs=paragraphs,
        title=title or None,
        published=article.published.isoformat() if article.published else None,
        voices=plan.voices,
        warnings=plan.warnings,
        part_number=part_number,
        part_count=part_count,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def render_template(name: str, **values: Any) -> str:
    return str(_env().get_template(name).render(**values))

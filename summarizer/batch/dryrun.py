"""``summarizer run --dry-run``: what would be briefed, and roughly what it would cost."""

from __future__ import annotations

import sys
from pathlib import Path

from summarizer.backends._litellm import litellm
from summarizer.backends.local_model import MODEL_NAME
from summarizer.batch.sources import iter_inputs
from summarizer.brief.chunking import PROMPT_OVERHEAD
from summarizer.errors import ArticleError
from summarizer.settings import Settings

ANSWER_TOKENS = 600  # a typical brief; max_tokens caps it


def work_model(settings: Settings) -> str:
    """The model name a run's work keys carry (``resolve_endpoint``'s), without starting the
    embedded server."""
    if settings.model:
        return settings.model
    if settings.local_model_path is not None:
        return f"openai/{settings.local_model_path.expanduser().stem.lower()}"
    return f"openai/{MODEL_NAME}"


def dry_run(
    paths: list[str],
    max_bytes: int,
    settings: Settings,
    out: Path | None = None,
    batch: bool = False,
    force: bool = False,
) -> int:
    from summarizer.batch.manifest import Manifest, work_key
    from summarizer.brief.prompts import prompt_version

    lib = litellm()
    model = settings.model or f"openai/{MODEL_NAME}"
    keyed, version = work_model(settings), prompt_version()
    # What a real run would skip: finished in OUT with the same work key (unless --force).
    manifest = Manifest(out, read_only=True) if out is not None and not force else None
    total_in = total_out = count = bad = done = 0
    for item in iter_inputs(paths, max_bytes, out):
        try:
            article = item.load()
        except ArticleError as exc:
            bad += 1
            print(f"skip  {item.source}: {exc}")
            continue
        if len(article.text) > settings.max_article_chars:
            bad += 1
            print(f"skip  {item.source}: {len(article.text):,} characters, over the limit")
            continue
        if manifest is not None and out is not None:
            work = work_key(article, keyed, version, settings)
            if manifest.finished(item.key, work, out):
                done += 1
                print(f"done  {item.source}  (already briefed; --force re-briefs)")
                continue
        tokens = int(lib.token_counter(model=model, text=article.text)) + PROMPT_OVERHEAD
        total_in += tokens
        total_out += min(settings.max_tokens, ANSWER_TOKENS)
        count += 1
        print(f"brief {item.source}  ~{tokens} tokens in")
    try:
        prompt, completion = lib.cost_per_token(
            model=model, prompt_tokens=total_in, completion_tokens=total_out
        )
        cost = f"${prompt + completion:.4f}"
    except Exception:
        cost = "unknown (no price for this model)"
    if batch:  # --batch: the provider's batch price beside the live one
        from summarizer.batch.provider_batch import batch_cost

        found = batch_cost(model, total_in, total_out)
        cost += f"; with --batch ${found[0]:.4f} ({found[1]})" if found else "; with --batch unknown"
    print(
        f"dry run: {count} article(s) to brief, {done} already done, {bad} input(s) unusable; "
        f"estimated tokens ~{total_in:,} in / ~{total_out:,} out; estimated cost {cost}; model {model}",
        file=sys.stderr,
    )
    return 0

"""``summarizer run --dry-run``: what would be briefed, and roughly what it would cost."""

from __future__ import annotations

import sys
from typing import Any

from summarizer.errors import ArticleError
from summarizer.sources import iter_inputs


def dry_run(options: Any, settings: Any) -> int:
    from summarizer.backends._litellm import litellm
    from summarizer.backends.local_model import MODEL_NAME

    lib = litellm()
    model = settings.model or f"openai/{MODEL_NAME}"
    prompt_overhead = 700  # system prompt and framing, measured with the embedded model
    total_in = total_out = count = bad = 0
    for item in iter_inputs(options.paths, options.max_bytes):
        try:
            article = item.load()
        except ArticleError as exc:
            bad += 1
            print(f"skip  {item.source}: {exc}")
            continue
        tokens = int(lib.token_counter(model=model, text=article.text)) + prompt_overhead
        out_tokens = min(settings.max_tokens, 600)
        total_in += tokens
        total_out += out_tokens
        count += 1
        print(f"brief {item.source}  ~{tokens} tokens in")
    try:
        p, c = lib.cost_per_token(model=model, prompt_tokens=total_in, completion_tokens=total_out)
        cost = f"${p + c:.4f}"
    except Exception:
        cost = "unknown (no price for this model)"
    print(
        f"dry run: {count} article(s) to brief, {bad} input(s) unusable; estimated tokens "
        f"~{total_in:,} in / ~{total_out:,} out; estimated cost {cost}; model {model}",
        file=sys.stderr,
    )
    return 0

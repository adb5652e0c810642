"""Re-record cassettes/ from a real model over real HTTP.

    python scripts/record_cassettes.py                 # the embedded model (default)
    SUMMARIZER_MODEL=gpt-4o-mini python scripts/record_cassettes.py   # a hosted one
    python scripts/record_cassettes.py seed injection  # only these fixtures
    python scripts/record_cassettes.py --eval-store docs/eval/briefs   # also keep corpus briefs for eval
    python scripts/record_cassettes.py --briefs DIR inject-end-fr      # also write each brief to DIR

With ``--eval-store DIR`` the briefs of the corpus fixtures (real, live briefs) are also written
where ``summarizer eval -o ...`` looks for briefs it already has, so an eval over a corpus that
includes them does not brief them a second time.

Writes cassettes/<fixture>.yaml and cassettes/recording.json (the model and the settings that
shape request bodies, which the tests replay with). Refuses to write a cassette holding a secret.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixture_articles import fixtures  # noqa: E402

from summarizer.testing.cassettes import CASSETTE_DIR, make_vcr  # noqa: E402
from summarizer.backends.client import resolve_endpoint  # noqa: E402
from summarizer.brief.pipeline import summarize  # noqa: E402
from summarizer.brief.prompts import prompt_version  # noqa: E402
from summarizer.batch.files import atomic_write  # noqa: E402
from summarizer.eval.evaluate import brief_path  # noqa: E402
from summarizer.settings import Settings  # noqa: E402


def main(args: list[str]) -> int:
    store = None
    if "--eval-store" in args:
        at = args.index("--eval-store")
        store = Path(args[at + 1])
        args = args[:at] + args[at + 2 :]
    briefs = None
    if "--briefs" in args:
        at = args.index("--briefs")
        briefs = Path(args[at + 1])
        args = args[:at] + args[at + 2 :]
    names = args
    base = Settings()
    endpoint = resolve_endpoint(base)  # starts the embedded server once, before recording
    recorder = make_vcr(record_mode="all")
    meta_path = CASSETTE_DIR / "recording.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    meta.update(
        model=endpoint.model,
        constrain_evidence=endpoint.constrained,
        prompt_version=prompt_version(),
        settings={k: getattr(base, k) for k in ("mode", "temperature", "max_tokens", "reasks", "context_tokens")},
        context_tokens=endpoint.context_tokens,
    )
    meta.setdefault("fixtures", {})
    chosen = [f for f in fixtures() if not names or f.name in names or any(n.endswith("*") and f.name.startswith(n[:-1]) for n in names)]
    for fx in chosen:
        cfg = base.model_copy(update=fx.settings)
        started = time.perf_counter()
        (CASSETTE_DIR / f"{fx.name}.yaml").unlink(missing_ok=True)  # vcrpy would append to it
        with recorder.use_cassette(fx.name):
            brief = summarize(fx.article, settings=cfg)
        took = time.perf_counter() - started
        meta["fixtures"][fx.name] = {"settings": fx.settings, "seconds": round(took, 1), "attempts": brief.metadata.attempts, "chunks": brief.metadata.chunks}
        print(f"{fx.name}: {took:.1f}s, {brief.metadata.attempts} attempt(s), {brief.metadata.chunks} part(s), {brief.items} items", flush=True)
        meta_path.write_text(json.dumps(meta, indent=2, default=str) + "\n")
        if briefs is not None:
            briefs.mkdir(parents=True, exist_ok=True)
            atomic_write(briefs / f"{fx.name}.json", brief.model_dump_json(indent=2))
        if store is not None and fx.name.startswith("corpus-"):
            ident = fx.name.removeprefix("corpus-")
            keep = brief.model_copy(update={"metadata": brief.metadata.model_copy(update={"source": ident})})
            store.mkdir(parents=True, exist_ok=True)
            atomic_write(brief_path(store, ident), keep.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

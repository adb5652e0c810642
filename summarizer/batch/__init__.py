"""Many articles: sources → inputs → scheduler → one brief each → output store and manifest.

sources.py    arguments (files, folders, globs, -) to a lazy stream of inputs
inputs.py     bytes to an Article: encodings, html, json, jsonl
runner.py     one input from article to outcome; ``run()`` ties the parts together
scheduler.py  concurrency, de-duplication of identical work, rate limits, stopping
executors.py  where briefs are made: this process (asyncio) or Ray workers (``--executor ray``)
ray_pool.py   the Ray side: async actors that brief, replaced when they die
store.py      OUT: per-input files, and briefs.jsonl / errors.jsonl / index.md
manifest.py   what is finished, so a re-run resumes; briefs stored by work key
failures.py   the closed set of failure kinds in errors.jsonl
lock.py       one run at a time per OUT
files.py      atomic writes and safe names
progress.py   what a person sees while it runs
dryrun.py     ``--dry-run``: what would be briefed, and the estimated cost
provider_batch.py  ``--batch``: requests through a provider's batch API, answered by the live path
"""

from summarizer.batch.failures import FailureKind, UsageError
from summarizer.batch.runner import RunOptions, run, run_sync

__all__ = ["FailureKind", "RunOptions", "UsageError", "run", "run_sync"]

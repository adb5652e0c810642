"""Where a run's results land in OUT.

Per input: ``OUT/<name>.json`` (and ``.md``), written atomically, and one manifest record. The
views a person reads, ``errors.jsonl``, ``briefs.jsonl`` and ``index.md``, are rebuilt from the
manifest at the end of every run, so they are exact whatever was interrupted. While a run goes
on, ``briefs.jsonl`` and ``errors.jsonl`` grow: rebuilt from the manifest when it starts (what
earlier runs finished, once each), then one line appended per article as it finishes (after its
manifest record; one write, fsynced), so ``tail -F OUT/briefs.jsonl`` follows a run and a
``kill -9`` leaves whole lines, none of which a resumed run repeats.

A full disk must not lose the record of what failed: a small ballast file is set aside when the
run starts and given back at the first ENOSPC, which leaves room for the error records.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from summarizer.batch.failures import FailureKind
from summarizer.batch.files import DISK_FULL, atomic_write, atomic_writer, describe_os_error, inside
from summarizer.batch.manifest import Manifest
from summarizer.batch.sources import Input
from summarizer.brief.render import DIGEST_HEAD, brief_markdown, digest_entry
from summarizer.models import Article, Brief

BALLAST_BYTES = 1 << 20
# Names at the top of OUT that belong to the run itself: an input named index.txt must not
# have its index.md overwritten by the digest.
RESERVED = frozenset({"index.json"})


class OutputStore:
    def __init__(self, out: Path, markdown: bool) -> None:
        self.out = out
        self.markdown = markdown
        self.manifest = Manifest(out)
        self.ballast = self.manifest.root / "ballast"
        self.taken: dict[str, str] = {
            r["output"]: k for k, r in self.manifest.records.items() if r.get("output")
        }
        self.seen: set[str] = set()  # inputs met in this run
        self.unsaved: list[str] = []  # outcomes the manifest could not take (full disk)

    # -- per input -------------------------------------------------------------------------------

    def finished(self, item: Input, work: str) -> bool:
        """Done in an earlier run; the record follows the input if it moved (a JSONL line that
        is now on another line number)."""
        self.seen.add(item.key)
        if not self.manifest.finished(item.key, work, self.out):
            return False
        record = self.manifest.records[item.key]
        if record["source"] != item.source:
            fields = {k: v for k, v in record.items() if k not in {"input", "status", "time", "source"}}
            with contextlib.suppress(OSError):  # memory has the new label; the views use it
                self._record(item, "done", **fields)
        return True

    def output_for(self, item: Input) -> Path:
        """The input's output path (``.json``), relative to OUT: the one it had in an earlier run,
        else the name it asks for, made unique (a.txt and a.md: a.json, a-2.json)."""
        previous = self.manifest.records.get(item.key)
        if previous and previous.get("output"):
            return Path(previous["output"])
        name, n = item.output.with_name(item.output.name + ".json"), 2
        while str(name) in RESERVED or self.taken.get(str(name), item.key) != item.key:
            name = item.output.with_name(f"{item.output.name}-{n}.json")
            n += 1
        inside(self.out, name)  # raises if a crafted name would escape OUT
        self.taken[str(name)] = item.key
        return name

    def keep(self, work: str, brief: Brief) -> None:
        """Store a fresh brief under its work key (raises OSError)."""
        self.manifest.store(work, brief)

    def stored(self, work: str) -> Brief | None:
        return self.manifest.stored(work)

    def write(self, item: Input, output: Path, work: str, brief: Brief, article: Article) -> None:
        """The input's own files, then its manifest record (raises OSError)."""
        target = inside(self.out, output)
        atomic_write(target, brief.model_dump_json(indent=2))
        if self.markdown:
            atomic_write(target.with_suffix(".md"), brief_markdown(brief, article.title, article.text))
        self._record(item, "done", work=work, output=str(output))
        self._append("briefs.jsonl", brief_line(item.source, str(output), brief))

    def failed(self, item: Input, kind: FailureKind, reason: str, output: Path | None = None) -> None:
        """Record a failure; never raises (a full disk keeps it in memory for ``finish``)."""
        fields: dict[str, Any] = {"kind": kind.value, "reason": reason}
        if output is not None:
            fields["output"] = str(output)  # a re-run keeps the name it was given
        self._record(item, kind.status, **fields)
        line = {"source": item.source, "status": kind.status, "kind": kind.value, "reason": reason}
        self._append("errors.jsonl", json.dumps(line, ensure_ascii=False))

    def open_views(self) -> None:
        """When a run starts: briefs.jsonl and errors.jsonl as the manifest has them (a line torn
        by a killed run is gone; nothing is there twice), ready to grow."""
        records = list(self.manifest.records.values())
        for name, lines in (("errors.jsonl", self._errors), ("briefs.jsonl", self._briefs)):
            try:
                _rewrite(self.out / name, functools.partial(lines, records))
            except OSError as exc:
                self.disk_trouble(exc)  # the end of the run tries again

    def _append(self, name: str, line: str) -> None:
        """One whole line, in one write, fsynced; a failure is left to the end-of-run rebuild."""
        data = (line + "\n").encode("utf-8")
        try:
            fd = os.open(self.out / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                written = os.write(fd, data)
                while written < len(data):  # a regular file takes it whole; just in case
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self.disk_trouble(exc)

    def _record(self, item: Input, status: str, **fields: Any) -> None:
        self.seen.add(item.key)
        if item.container:
            fields["container"] = item.container
        try:
            self.manifest.record(item.key, status, source=item.source, **fields)
        except OSError as exc:
            self.disk_trouble(exc)
            if status == "done":
                raise
            self.unsaved.append(item.key)

    # -- the disk --------------------------------------------------------------------------------

    def set_ballast(self) -> None:
        try:
            with open(self.ballast, "wb") as handle:
                handle.truncate(0)
                os.posix_fallocate(handle.fileno(), 0, BALLAST_BYTES)
        except OSError:
            self.ballast.unlink(missing_ok=True)  # too little room even for that: go on without

    def disk_trouble(self, exc: OSError) -> bool:
        """True for a full disk, whose ballast is then given back to the error records."""
        if exc.errno not in DISK_FULL:
            return False
        self.ballast.unlink(missing_ok=True)
        return True

    # -- the views -------------------------------------------------------------------------------

    def finish(self, complete: bool) -> list[str]:
        """Rebuild errors.jsonl, briefs.jsonl and index.md from the manifest, in that order (the
        smallest and most needed first, for a full disk). ``complete``: every input was listed,
        so records of JSONL lines that are gone from their file can be forgotten. Returns what
        could not be written, one line each."""
        self.ballast.unlink(missing_ok=True)
        if complete:
            self._forget_vanished_lines()
        records = list(self.manifest.records.values())
        problems = []
        views: list[tuple[str, Callable[[list[dict[str, Any]]], Iterator[str]]]] = [
            ("errors.jsonl", self._errors),
            ("briefs.jsonl", self._briefs),
        ]
        if self.markdown:
            views.append(("index.md", self._digest))
        for name, lines in views:
            try:
                _rewrite(self.out / name, functools.partial(lines, records))
            except OSError as exc:
                problems.append(describe_os_error(exc, self.out / name))
        if self.unsaved:
            problems.append(
                f"{len(self.unsaved)} outcome(s) could not be saved in the manifest; a re-run redoes them"
            )
        return problems

    def _forget_vanished_lines(self) -> None:
        scanned = {r.get("container") for k, r in self.manifest.records.items() if k in self.seen}
        for key, record in list(self.manifest.records.items()):
            if record.get("container") in scanned - {None} and key not in self.seen:
                try:
                    self.manifest.forget(key)
                except OSError:
                    self.manifest.records.pop(key, None)  # forgotten for this run's views at least

    @staticmethod
    def _errors(records: list[dict[str, Any]]) -> Iterator[str]:
        for record in records:
            if record["status"] != "done":
                fields = {k: record.get(k) for k in ("source", "status", "kind", "reason")}
                yield json.dumps(fields, ensure_ascii=False) + "\n"

    def _briefs(self, records: list[dict[str, Any]]) -> Iterator[str]:
        for record, brief in self._done(records):
            yield brief_line(record["source"], record["output"], brief) + "\n"

    def _digest(self, records: list[dict[str, Any]]) -> Iterator[str]:
        yield DIGEST_HEAD
        for record, brief in self._done(records):
            yield digest_entry(record["source"], str(Path(record["output"]).with_suffix(".md")), brief)

    def _done(self, records: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Brief]]:
        """Done records with their briefs, read one at a time: the end of a 10,000-article run
        does not hold every brief in memory."""
        for record in records:
            if record["status"] == "done" and (brief := self.manifest.stored(record["work"])) is not None:
                brief.metadata.source = record["source"]
                yield record, brief


def brief_line(source: str, output: str, brief: Brief) -> str:
    return json.dumps(
        {"source": source, "output": output, "brief": brief.model_dump(mode="json")}, ensure_ascii=False
    )


def _rewrite(path: Path, lines: Callable[[], Iterator[str]]) -> None:
    """Atomically; or, when the disk has no room for a second copy, in place of the old file
    (these views are rebuilt from the manifest by every run, so a torn one heals)."""
    try:
        with atomic_writer(path) as handle:
            handle.writelines(lines())
        return
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
    path.unlink(missing_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(lines())

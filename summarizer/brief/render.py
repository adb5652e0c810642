"""Briefs for people: Markdown rendering of one brief and of a digest of many.

The summary carries footnote references to the article sentences behind each of its sentences,
so a reader can check every claim; items quote their evidence beneath them.
"""

from __future__ import annotations

import re

from summarizer.models import Brief

# Article text (and the model's words, which come from it) is text, never Markdown or HTML: an
# article holding "<img onerror=...>", a "[link](javascript:...)" or a newline and "# heading"
# must come out as those characters, not as markup.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^([#>+\-=])|^(\d+)([.)])")


def _md(text: str | None) -> str:
    """``text`` as literal Markdown inline text: one line, Markdown and HTML characters escaped."""
    if not text:
        return ""
    one_line = " ".join(text.split())  # a newline would end the line and open a new block
    escaped = _ENTITY.sub(r"\\&", _MD_SPECIAL.sub(r"\\\1", one_line))
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped, count=1)


def _footnotes(brief: Brief) -> dict[int, int]:
    """Article sentence number -> footnote number, in order of first citation."""
    numbers: dict[int, int] = {}
    for sentence in brief.summary_sentences:
        for ref in sentence.support:
            numbers.setdefault(ref.number, len(numbers) + 1)
    return numbers


def brief_markdown(brief: Brief, title: str | None = None, article: str | None = None) -> str:
    """The brief as Markdown; with ``article`` (its text) the footnotes quote the sentences."""
    lines = [f"# {_md(brief.headline)}", ""]
    if title and title != brief.headline:
        lines += [f"*Article: {_md(title)}*", ""]
    notes = _footnotes(brief)
    if brief.summary_sentences:
        summary = " ".join(
            _md(s.text) + "".join(f"[^{notes[r.number]}]" for r in s.support) for s in brief.summary_sentences
        )
    else:
        summary = _md(brief.summary)
    lines += [summary, ""]
    if brief.key_developments:
        lines += ["## Key developments", ""]
        for dev in brief.key_developments:
            when = dev.when_iso.isoformat() if dev.when_iso else dev.when
            context = ", ".join(_md(x) for x in (when, dev.where) if x)
            lines.append(f"- **{_md(dev.what)}**" + (f" ({context})" if context else ""))
            lines.append(f"  > {_md(dev.evidence)}")
        lines.append("")
    if brief.stated_positions:
        lines += ["## Stated positions", ""]
        for pos in brief.stated_positions:
            who = _md(pos.actor) + (f", {_md(pos.role)}" if pos.role else "")
            lines.append(f"- **{who}**: {_md(pos.stance)}")
            lines.append(f"  > {_md(pos.quote)}")
        lines.append("")
    if brief.warnings:
        lines += ["## Warnings", ""]
        for warn in brief.warnings:
            extra = "; ".join(
                _md(x) for x in (warn.condition, f"to {warn.audience}" if warn.audience else None) if x
            )
            lines.append(
                f"- **{_md(warn.issued_by)}** warns: {_md(warn.about)}" + (f" ({extra})" if extra else "")
            )
            lines.append(f"  > {_md(warn.evidence)}")
        lines.append("")
    refs = {r.number: r for s in brief.summary_sentences for r in s.support}
    for number, footnote in notes.items():
        ref = refs[number]
        quoted = _md(article[ref.start : ref.end]) if article else f"characters {ref.start}-{ref.end}"
        lines.append(f"[^{footnote}]: Article sentence {number}: {quoted}")
    if notes:
        lines.append("")
    meta = brief.metadata
    report = meta.grounding
    extras = []
    if report.dropped:
        extras.append(f"{len(report.dropped)} dropped")
    if report.rewritten:
        extras.append(f"{len(report.rewritten)} reworded from the article")
    if report.injection_suspected:
        extras.append(f"{len(report.injection_suspected)} instruction-like passage(s) withheld")
    lines.append(
        f"<sub>{_md(meta.model)} · prompt {meta.prompt_version} · {meta.attempts} request(s) · "
        f"{meta.usage.total_tokens} tokens · {meta.latency_s:.1f}s · "
        f"{report.verified} items from article sentences"
        + (f" · {', '.join(extras)}" if extras else "")
        + "</sub>"
    )
    return "\n".join(lines) + "\n"


DIGEST_HEAD = "# Briefs\n\n"


def digest_entry(source: str, link: str, brief: Brief) -> str:
    """One article's part of ``index.md``: its headline as a link, its summary, its source."""
    target = "<" + link.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"
    return f"## [{_md(brief.headline)}]({target})\n\n{_md(brief.summary)}\n\n<sub>{_md(source)}</sub>\n\n"

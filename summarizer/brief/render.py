"""Briefs for people: Markdown rendering of one brief and of a digest of many."""

from __future__ import annotations

from summarizer.models import Brief


def brief_markdown(brief: Brief, title: str | None = None) -> str:
    lines = [f"# {brief.headline}", ""]
    if title and title != brief.headline:
        lines += [f"*Article: {title}*", ""]
    lines += [brief.summary, ""]
    if brief.key_developments:
        lines += ["## Key developments", ""]
        for dev in brief.key_developments:
            when = dev.when_iso.isoformat() if dev.when_iso else dev.when
            context = ", ".join(x for x in (when, dev.where) if x)
            lines.append(f"- **{dev.what}**" + (f" ({context})" if context else ""))
            lines.append(f"  > {dev.evidence}")
        lines.append("")
    if brief.stated_positions:
        lines += ["## Stated positions", ""]
        for pos in brief.stated_positions:
            who = pos.actor + (f", {pos.role}" if pos.role else "")
            lines.append(f"- **{who}**: {pos.stance}")
            lines.append(f"  > {pos.quote}")
        lines.append("")
    if brief.warnings:
        lines += ["## Warnings", ""]
        for warn in brief.warnings:
            extra = "; ".join(x for x in (f"if {warn.condition}" if warn.condition else None,
                                          f"to {warn.audience}" if warn.audience else None) if x)
            lines.append(f"- **{warn.issued_by}** warns of {warn.about}" + (f" ({extra})" if extra else ""))
            lines.append(f"  > {warn.evidence}")
        lines.append("")
    meta = brief.metadata
    dropped = len(meta.grounding.dropped)
    lines.append(
        f"<sub>{meta.model} · prompt {meta.prompt_version} · {meta.attempts} request(s) · "
        f"{meta.usage.total_tokens} tokens · {meta.latency_s:.1f}s · {meta.grounding.verified} items verified"
        + (f", {dropped} dropped as ungrounded" if dropped else "")
        + "</sub>"
    )
    return "\n".join(lines) + "\n"


DIGEST_HEAD = "# Briefs\n\n"


def digest_entry(source: str, link: str, brief: Brief) -> str:
    """One article's part of ``index.md``: its headline as a link, its summary, its source."""
    return f"## [{brief.headline}]({link})\n\n{brief.summary}\n\n<sub>{source}</sub>\n\n"

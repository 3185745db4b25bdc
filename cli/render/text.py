"""Render reports for people as plain text: the verdict in words, the facts a journalist needs, what to do next.

Order: the headline (tampered credentials first), the label with how sure it is and what decided it, why,
evidence pointing elsewhere, the facts (capture time, camera, lens, GPS, software, C2PA signer, signing time,
actions, ingredients, generator parameters), each signal's other findings, what was not checked, and next
steps. Nothing is said twice: a finding shown as a reason is not repeated under its signal.
"""

from __future__ import annotations

import textwrap

from veracity.cli.render.facts import report_facts
from veracity.provenance import labels
from veracity.provenance.report import ErrorRecord, Report

_WIDTH = 100
LABEL_WORDS = {
    labels.GENERATED: "GENERATED",
    labels.AI_EDITED: "AI-EDITED",
    labels.CAPTURED: "CAPTURED",
    labels.LIKELY_GENERATED: "LIKELY GENERATED",
    labels.INCONCLUSIVE: "INCONCLUSIVE",
    labels.LIKELY_REAL: "LIKELY REAL",
}
CERTAINTY_WORDS = {
    labels.CERTAINTY_HIGH: "high certainty",
    labels.CERTAINTY_MEDIUM: "medium certainty",
    labels.CERTAINTY_LOW: "low certainty",
    labels.CERTAINTY_NONE: "undetermined",
}
_STATUS_WORDS = {
    labels.FOUND: "found",
    labels.ABSENT: "nothing found",
    labels.NOT_APPLICABLE: "not applicable",
    labels.SKIPPED: "not checked",
    labels.SIGNAL_ERROR: "could not be read",
}


def render_text(report: Report) -> str:
    """A plain-text report: headline, verdict, how sure and why, facts, signals, next steps."""
    verdict = report.verdict
    lines = [one_line_text(report.input)]
    described = f"{report.media_type}, {report.size:,} bytes"
    if report.image:
        described += f", {report.image.width}x{report.image.height} {report.image.mode}"
    lines.append(f"  {described}; sha256 {report.sha256}")
    lines.append(_wrapped(verdict.headline, "  "))
    lines.append(f"  Verdict: {LABEL_WORDS[verdict.label]} ({CERTAINTY_WORDS[verdict.certainty]})")
    lines.append(_wrapped(f"Decided by: {verdict.decided_by}", "  "))
    lines.append(_wrapped(f"How sure: {verdict.certainty_words}", "  "))
    lines.append("  Why:")
    lines.extend(_wrapped(reason, "    - ") for reason in verdict.reasons)
    if verdict.conflicts:
        lines.append("  Evidence pointing elsewhere:")
        lines.extend(_wrapped(c, "    ! ") for c in verdict.conflicts)
    facts = report_facts(report)
    if facts:
        lines.append("  Facts:")
        width = max(len(name) for name, _ in facts)
        lines.extend(_wrapped(value, f"    {name.ljust(width)} : ") for name, value in facts)
    lines.extend(_signal_lines(report))
    lines.append("  Next steps:")
    lines.extend(_wrapped(step, f"    {i}. ") for i, step in enumerate(verdict.next_steps, 1))
    for note in report.notes:
        lines.append(_wrapped(note, "  note: "))
    return "\n".join(lines)


def _signal_lines(report: Report) -> list[str]:
    shown = {reason for reason in report.verdict.reasons}
    lines: list[str] = []
    not_checked = []
    for signal in report.signals:
        if signal.status in (labels.NOT_APPLICABLE, labels.SKIPPED):
            not_checked.append(f"{signal.name}: {signal.summary}")
            continue
        summary = "see Why above." if signal.summary in shown else signal.summary
        lines.append(_wrapped(f"[{signal.name}] {_STATUS_WORDS[signal.status]}: {summary}", "  "))
        if signal.error:
            lines.append(_wrapped(signal.error, "      error: "))
        for finding in signal.findings:
            if f"{finding.meaning} ({finding.where})" in shown:
                continue
            lines.append(_wrapped(f"{finding.meaning} — {finding.where}", "      • "))
    if not_checked:
        lines.append("  Not checked:")
        lines.extend(_wrapped(item, "    - ") for item in not_checked)
    return lines


def render_error_line(record: ErrorRecord) -> str:
    """One line naming the file and the reason, for stderr: control characters (a newline in a file name, a
    decoder's multi-line message) are escaped, and bytes of a name that are not UTF-8 are written ``\\xNN``."""
    return "error: " + one_line_text(record.message)


def one_line_text(text: str) -> str:
    """``text`` on one printable line: control characters as escapes (``\\n``), undecodable bytes as ``\\xNN``."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _wrapped(text: str, prefix: str) -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix))

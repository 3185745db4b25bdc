"""Render reports for people (text) and programs (JSON, JSONL)."""

from __future__ import annotations

import textwrap

from veracity.provenance import labels
from veracity.provenance.report import ErrorRecord, Report

_WIDTH = 100
_LABEL_WORDS = {
    labels.GENERATED: "GENERATED — provenance declares generative AI",
    labels.AI_EDITED: "AI-EDITED — provenance declares AI editing or an AI composite",
    labels.CAPTURED: "CAPTURED — a trusted Content Credential declares a camera capture",
    labels.LIKELY_GENERATED: "LIKELY GENERATED — the classifier's estimate, not proof",
    labels.INCONCLUSIVE: "INCONCLUSIVE — nothing decides either way",
    labels.LIKELY_REAL: "LIKELY REAL — the classifier's estimate, not proof",
}
_STATUS_WORDS = {
    labels.FOUND: "found",
    labels.ABSENT: "nothing found",
    labels.NOT_APPLICABLE: "not applicable",
    labels.SKIPPED: "not checked",
    labels.SIGNAL_ERROR: "could not be read",
}


def render_text(report: Report) -> str:
    """A plain-text report: verdict and why, what each signal found, what was not checked and why."""
    lines = [one_line_text(report.input)]
    described = f"{report.media_type}, {report.size:,} bytes"
    if report.image:
        described += f", {report.image.width}x{report.image.height} {report.image.mode}"
    lines.append(f"  {described}; sha256 {report.sha256}")
    lines.append(f"  Verdict: {_LABEL_WORDS[report.verdict.label]}")
    decider = report.verdict.deciding_signal or "no signal"
    lines.append(f"  Decided by: {decider}")
    lines.extend(_wrapped(reason, "    - ") for reason in report.verdict.reasons)
    if report.verdict.conflicts:
        lines.append("  Evidence pointing elsewhere:")
        lines.extend(_wrapped(c, "    ! ") for c in report.verdict.conflicts)
    not_checked = []
    for signal in report.signals:
        if signal.status in (labels.NOT_APPLICABLE, labels.SKIPPED):
            not_checked.append(f"{signal.name}: {signal.summary}")
            continue
        lines.append(_wrapped(f"[{signal.name}] {_STATUS_WORDS[signal.status]}: {signal.summary}", "  "))
        if signal.error:
            lines.append(_wrapped(signal.error, "      error: "))
        for finding in signal.findings:
            lines.append(_wrapped(f"{finding.meaning} — {finding.where}", "      • "))
    if not_checked:
        lines.append("  Not checked:")
        lines.extend(_wrapped(item, "    - ") for item in not_checked)
    for note in report.notes:
        lines.append(_wrapped(note, "  note: "))
    return "\n".join(lines)


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

"""The one vocabulary of verdict labels, signal statuses and signal names (STYLE.md §9)."""

from __future__ import annotations

# Verdict labels, strongest provenance first.
GENERATED = "generated"
AI_EDITED = "ai-edited"
CAPTURED = "captured"
LIKELY_GENERATED = "likely-generated"
INCONCLUSIVE = "inconclusive"
LIKELY_REAL = "likely-real"
ERROR = "error"

VERDICT_LABELS: tuple[str, ...] = (
    GENERATED,
    AI_EDITED,
    CAPTURED,
    LIKELY_GENERATED,
    INCONCLUSIVE,
    LIKELY_REAL,
)
#: Labels ``--fail-on`` accepts: every verdict plus ``error`` (a file that could not be analysed).
FAIL_ON_LABELS: tuple[str, ...] = VERDICT_LABELS + (ERROR,)

# Signal statuses.
FOUND = "found"  # the signal found something to report
ABSENT = "absent"  # looked, found nothing: never evidence of anything
NOT_APPLICABLE = "not_applicable"  # the signal does not apply to this media (pixels of a PDF)
SKIPPED = "skipped"  # the user or the configuration turned the signal off
SIGNAL_ERROR = "error"  # the signal failed to read this file; the batch goes on

SIGNAL_STATUSES: tuple[str, ...] = (FOUND, ABSENT, NOT_APPLICABLE, SKIPPED, SIGNAL_ERROR)

# Signal names.
C2PA = "c2pa"
METADATA = "metadata"
WATERMARK = "watermark"
CLASSIFIER = "classifier"

SIGNAL_NAMES: tuple[str, ...] = (C2PA, METADATA, WATERMARK, CLASSIFIER)

# What a single finding implies, from the strongest claim down.
IMPLIES_GENERATED = "generated"
IMPLIES_AI_EDITED = "ai-edited"
IMPLIES_CAPTURED = "captured"
IMPLIES_EDITED = "edited"  # non-AI editing software: context, not a verdict
IMPLIES_NOTHING = "context"  # a fact worth showing that points nowhere

IMPLICATIONS: tuple[str, ...] = (
    IMPLIES_GENERATED,
    IMPLIES_AI_EDITED,
    IMPLIES_CAPTURED,
    IMPLIES_EDITED,
    IMPLIES_NOTHING,
)

"""The one vocabulary shared across packages: verdict labels, signal names and statuses, credential states.

Each is a `StrEnum`, so values compare equal to their strings and serialise as them (JSON, CSV, Parquet),
while code names them by constant. Module-level aliases (``labels.GENERATED``) keep call sites short, and
the ``*_LABELS`` / ``*_STATUSES`` tuples hold the plain strings for option parsers.
"""

from __future__ import annotations

from enum import StrEnum


class VerdictLabel(StrEnum):
    """Verdict labels, strongest provenance first (`fusion.verdict` documents when each applies)."""

    GENERATED = "generated"
    AI_EDITED = "ai-edited"
    CAPTURED = "captured"
    LIKELY_GENERATED = "likely-generated"
    INCONCLUSIVE = "inconclusive"
    LIKELY_REAL = "likely-real"


class SignalName(StrEnum):
    """The kinds of evidence a report holds, in report order."""

    C2PA = "c2pa"
    METADATA = "metadata"
    WATERMARK = "watermark"
    CLASSIFIER = "classifier"


class SignalStatus(StrEnum):
    """What a signal's look at a file came to."""

    FOUND = "found"  # the signal found something to report
    ABSENT = "absent"  # looked, found nothing: never evidence of anything
    NOT_APPLICABLE = "not_applicable"  # the signal does not apply to this media (pixels of a PDF)
    SKIPPED = "skipped"  # the user or the configuration turned the signal off
    ERROR = "error"  # the signal failed to read this file; the batch goes on


class Implication(StrEnum):
    """What a single finding implies, from the strongest claim down."""

    GENERATED = "generated"
    AI_EDITED = "ai-edited"
    CAPTURED = "captured"
    EDITED = "edited"  # non-AI editing software: context, not a verdict
    NOTHING = "context"  # a fact worth showing that points nowhere


class Certainty(StrEnum):
    """How sure a verdict is, from the kind of evidence that decided it (`fusion.verdict` documents when)."""

    HIGH = "high"  # intact credentials from a trusted signer
    MEDIUM = "medium"  # a declaration whose author cannot be confirmed (untrusted signer, metadata, watermark)
    LOW = "low"  # a statistical estimate only (the classifier)
    NONE = "none"  # nothing decides


class CredentialState(StrEnum):
    """The state of a file's Content Credentials (C2PA)."""

    ABSENT = "absent"  # none found
    INVALID = "invalid"  # tampered or malformed (failure codes say which)
    VALID = "valid"  # intact, signer not on a trust list in use
    TRUSTED = "trusted"  # intact, and the signer chains to a trust anchor


# Verdict labels.
GENERATED = VerdictLabel.GENERATED
AI_EDITED = VerdictLabel.AI_EDITED
CAPTURED = VerdictLabel.CAPTURED
LIKELY_GENERATED = VerdictLabel.LIKELY_GENERATED
INCONCLUSIVE = VerdictLabel.INCONCLUSIVE
LIKELY_REAL = VerdictLabel.LIKELY_REAL
#: The label of a file that could not be analysed (records only; never a `Verdict`).
ERROR = "error"

VERDICT_LABELS: tuple[str, ...] = tuple(label.value for label in VerdictLabel)
#: Labels ``--fail-on`` accepts: every verdict plus ``error`` (a file that could not be analysed).
FAIL_ON_LABELS: tuple[str, ...] = VERDICT_LABELS + (ERROR,)

# Signal statuses.
FOUND = SignalStatus.FOUND
ABSENT = SignalStatus.ABSENT
NOT_APPLICABLE = SignalStatus.NOT_APPLICABLE
SKIPPED = SignalStatus.SKIPPED
SIGNAL_ERROR = SignalStatus.ERROR
SIGNAL_STATUSES: tuple[str, ...] = tuple(status.value for status in SignalStatus)

# Signal names.
C2PA = SignalName.C2PA
METADATA = SignalName.METADATA
WATERMARK = SignalName.WATERMARK
CLASSIFIER = SignalName.CLASSIFIER
SIGNAL_NAMES: tuple[str, ...] = tuple(name.value for name in SignalName)

# Implications.
IMPLIES_GENERATED = Implication.GENERATED
IMPLIES_AI_EDITED = Implication.AI_EDITED
IMPLIES_CAPTURED = Implication.CAPTURED
IMPLIES_EDITED = Implication.EDITED
IMPLIES_NOTHING = Implication.NOTHING
IMPLICATIONS: tuple[str, ...] = tuple(implication.value for implication in Implication)

CREDENTIAL_STATES: tuple[str, ...] = tuple(state.value for state in CredentialState)

# How sure a verdict is.
CERTAINTY_HIGH = Certainty.HIGH
CERTAINTY_MEDIUM = Certainty.MEDIUM
CERTAINTY_LOW = Certainty.LOW
CERTAINTY_NONE = Certainty.NONE
CERTAINTIES: tuple[str, ...] = tuple(level.value for level in Certainty)

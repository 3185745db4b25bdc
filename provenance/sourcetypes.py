"""The IPTC Digital Source Type vocabulary, in plain words, and what each term implies.

Terms from https://cv.iptc.org/newscodes/digitalsourcetype/ (current and retired). Files and C2PA
manifests write them as full URIs or bare codes; `lookup_source_type` accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass

from veracity.provenance import labels

IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@dataclass(frozen=True)
class SourceType:
    """One term of the vocabulary.

    Attributes:
        code: the term, e.g. ``"trainedAlgorithmicMedia"``.
        words: what it means, for a person.
        implies: one of ``labels.IMPLICATIONS``.
        retired: the term is deprecated by IPTC but still found in files.
    """

    code: str
    words: str
    implies: str
    retired: bool = False

    @property
    def uri(self) -> str:
        return IPTC_PREFIX + self.code


_TERMS = (
    SourceType("digitalCapture", "original digital capture of a real-life scene", labels.IMPLIES_CAPTURED),
    SourceType(
        "computationalCapture",
        "digital capture with computational processing (e.g. phone HDR, night mode)",
        labels.IMPLIES_CAPTURED,
    ),
    SourceType("negativeFilm", "digitised from a film negative", labels.IMPLIES_CAPTURED),
    SourceType("positiveFilm", "digitised from a film positive (slide)", labels.IMPLIES_CAPTURED),
    SourceType("print", "digitised from a print", labels.IMPLIES_CAPTURED),
    SourceType("humanEdits", "captured media edited by a person", labels.IMPLIES_EDITED),
    SourceType("minorHumanEdits", "captured media with minor human edits", labels.IMPLIES_EDITED, retired=True),
    SourceType(
        "algorithmicallyEnhanced", "captured media enhanced by an algorithm (not generative)", labels.IMPLIES_EDITED
    ),
    SourceType("compositeCapture", "composite of several captured elements", labels.IMPLIES_EDITED),
    SourceType("composite", "composite of elements", labels.IMPLIES_EDITED, retired=True),
    SourceType("screenCapture", "capture of a computer screen", labels.IMPLIES_NOTHING),
    SourceType("virtualRecording", "recording of a virtual event or scene", labels.IMPLIES_NOTHING),
    SourceType("digitalArt", "created by a person with digital tools", labels.IMPLIES_NOTHING),
    SourceType("digitalCreation", "created by a person with digital tools", labels.IMPLIES_NOTHING, retired=True),
    SourceType(
        "algorithmicMedia",
        "made by an algorithm without a trained model (e.g. procedural graphics)",
        labels.IMPLIES_NOTHING,
    ),
    SourceType("softwareImage", "made by software without a trained model", labels.IMPLIES_NOTHING, retired=True),
    SourceType("dataDrivenMedia", "made by an algorithm from data", labels.IMPLIES_NOTHING, retired=True),
    SourceType(
        "trainedAlgorithmicMedia",
        "created by a generative AI model trained on sampled content",
        labels.IMPLIES_GENERATED,
    ),
    SourceType(
        "compositeWithTrainedAlgorithmicMedia",
        "composite that includes generative-AI elements",
        labels.IMPLIES_AI_EDITED,
    ),
    SourceType("compositeSynthetic", "composite that includes synthetic elements", labels.IMPLIES_AI_EDITED),
)

SOURCE_TYPES: dict[str, SourceType] = {term.code: term for term in _TERMS}
_BY_LOWER = {code.lower(): term for code, term in SOURCE_TYPES.items()}


def lookup_source_type(value: str) -> SourceType | None:
    """Find a term from a full IPTC URI, a bare code, or a C2PA-style value; ``None`` if unknown."""
    code = value.strip().rstrip("/").rsplit("/", 1)[-1]
    return _BY_LOWER.get(code.lower())


def list_source_types() -> list[str]:
    """Every known code, current terms first."""
    return [t.code for t in _TERMS if not t.retired] + [t.code for t in _TERMS if t.retired]

"""Fusion is a precedence table: signals in; label, deciding signal and certainty out.

`CASES` is the table of cases in `veracity.provenance.fusion.verdict`'s docstring, row for row (a test holds
the two equal), built from synthetic signal results.
"""

from __future__ import annotations

import re

import pytest

from veracity.provenance import labels
from veracity.provenance.fusion import verdict as verdict_module
from veracity.provenance.fusion.verdict import Verdict, fuse
from veracity.provenance.fusion.wording import TAMPERED_LEAD
from veracity.provenance.signals import Finding, SignalResult

G, E, C, X = labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED, labels.IMPLIES_CAPTURED, labels.IMPLIES_NOTHING


def _signal(name: str, *implies: str, details: dict | None = None) -> SignalResult:
    findings = tuple(Finding(f"{name}.x{i}", f"{name} field {i}", "v", f"{name} says {imp} ({i})", imp)
                     for i, imp in enumerate(implies))  # fmt: skip
    return SignalResult(name, labels.FOUND if findings else labels.ABSENT, f"{name} summary", findings, details or {})


def _c2pa(*implies: str, integrity: str = "intact", signer: str = "trusted", claims: list | None = None):
    assessment = {
        "integrity": integrity,
        "tampered_parts": ["file"] if integrity == "tampered" else [],
        "signer_trust": signer,
        "signer": "Example Signer",
        "trust_list": "interim" if signer == "trusted" else None,
        "tools": ["Adobe Firefly"],
        "claims": claims or [],
    }
    return _signal("c2pa", *implies, X, details={"state": "valid", "assessment": assessment})


def _classifier(band: str, p: float) -> SignalResult:
    details = {"band": band, "detector": "tiny.test"}
    return SignalResult(labels.CLASSIFIER, labels.FOUND, f"classifier band {band}.", (), details, p_generated=p)


_TAMPERED_AI = [{"words": "created by a generative AI model", "implies": "generated"}]

# (case as in the docstring, signals, label, decided by, certainty)
CASES = [
    ("AI generation declared in intact credentials, trusted signer", [_c2pa(G)], "generated", "c2pa", "high"),
    ("AI generation declared in intact credentials, untrusted signer", [_c2pa(G, signer="untrusted")],
     "generated", "c2pa", "medium"),
    ("AI generation declared in intact credentials, expired signer", [_c2pa(G, signer="expired-or-revoked")],
     "generated", "c2pa", "medium"),
    ("AI generation declared in malformed (unverified) credentials", [_c2pa(G, integrity="unverified")],
     "generated", "c2pa", "medium"),
    ("AI edit declared in intact credentials, trusted signer", [_c2pa(E)], "ai-edited", "c2pa", "high"),
    ("AI edit declared in intact credentials, untrusted signer", [_c2pa(E, signer="untrusted")],
     "ai-edited", "c2pa", "medium"),
    ("AI declared in intact credentials, classifier says likely-real",
     [_c2pa(G, signer="untrusted"), _classifier("likely-real", 0.35)], "generated", "c2pa", "medium"),
    ("AI edit in credentials outranks AI generation in metadata", [_c2pa(E), _signal("metadata", G)],
     "ai-edited", "c2pa", "high"),
    ("AI declared only in tampered credentials, metadata declares AI",
     [_c2pa(integrity="tampered", signer="untrusted", claims=_TAMPERED_AI), _signal("metadata", G)],
     "generated", "metadata", "medium"),
    ("tampered credentials, classifier says likely-generated",
     [_c2pa(integrity="tampered"), _classifier("likely-generated", 0.91)], "likely-generated", "classifier", "low"),
    ("tampered credentials and nothing else", [_c2pa(integrity="tampered")], "inconclusive", None, "none"),
    ("generator metadata", [_signal("metadata", G)], "generated", "metadata", "medium"),
    ("AI edit declared in metadata", [_signal("metadata", E)], "ai-edited", "metadata", "medium"),
    ("generator watermark", [_signal("watermark", G)], "generated", "watermark", "medium"),
    ("metadata outranks a watermark", [_signal("watermark", G), _signal("metadata", G)],
     "generated", "metadata", "medium"),
    ("trusted capture claim in intact credentials", [_c2pa(C)], "captured", "c2pa", "high"),
    ("trusted capture claim, classifier says likely-generated", [_c2pa(C), _classifier("likely-generated", 0.9)],
     "captured", "c2pa", "high"),
    ("trusted capture claim, metadata declares AI", [_c2pa(C), _signal("metadata", G)],
     "generated", "metadata", "medium"),
    ("untrusted capture claim, classifier says likely-real",
     [_c2pa(X, signer="untrusted"), _classifier("likely-real", 0.05)], "likely-real", "classifier", "low"),
    ("capture claim in metadata only", [_signal("metadata", C)], "inconclusive", None, "none"),
    ("classifier says likely-generated", [_classifier("likely-generated", 0.93)], "likely-generated", "classifier",
     "low"),
    ("classifier says likely-real", [_classifier("likely-real", 0.04), _signal("metadata", X)],
     "likely-real", "classifier", "low"),
    ("classifier unsure", [_classifier("inconclusive", 0.5)], "inconclusive", None, "none"),
    ("no signal", [], "inconclusive", None, "none"),
    ("C2PA read error, metadata declares an AI edit",
     [SignalResult("c2pa", labels.SIGNAL_ERROR, "bad", error="x"), _signal("metadata", E)],
     "ai-edited", "metadata", "medium"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "signals", "label", "decider", "certainty"), CASES, ids=[c[0] for c in CASES])
def test_precedence_table(case, signals, label, decider, certainty):
    verdict = fuse(signals)
    assert (verdict.label, verdict.deciding_signal, verdict.certainty) == (label, decider, certainty)
    assert verdict.reasons and verdict.headline and verdict.certainty_words and verdict.next_steps


def test_the_docstring_holds_the_same_table():
    doc = verdict_module.__doc__
    rows = [line for line in doc.split("Cases")[1].splitlines() if line and not line.startswith(("=", "case"))]
    documented = [re.split(r"\s{2,}", row.strip()) for row in rows if re.search(r"\s{2,}", row)]
    tested = [[case, label, decider or "none", certainty] for case, _, label, decider, certainty in CASES]
    assert documented == tested


@pytest.mark.parametrize(("case", "signals", "label", "decider", "certainty"), CASES, ids=[c[0] for c in CASES])
def test_wording_rules(case, signals, label, decider, certainty):
    verdict = fuse(signals)
    if "tampered" in case:
        assert verdict.tampered and verdict.headline.startswith(TAMPERED_LEAD)
    else:
        assert not verdict.tampered and TAMPERED_LEAD not in verdict.headline
    if label == labels.INCONCLUSIVE:
        assert verdict.decided_by == "nothing conclusive" and "classifier" not in verdict.decided_by
    assert verdict.certainty_words.lower().startswith(certainty)
    sentences = [s for text in (verdict.headline, verdict.certainty_words, *verdict.next_steps)
                 for s in re.split(r"(?<=[.:])\s+", text) if s]  # fmt: skip
    assert len(sentences) == len(set(sentences)), sentences


def test_the_classifier_never_overrides_a_declaration_and_the_disagreement_is_shown():
    verdict = fuse([_c2pa(G, signer="expired-or-revoked"), _classifier("likely-real", 0.35)])
    assert verdict.label == labels.GENERATED
    assert any(c.startswith("classifier:") for c in verdict.conflicts)
    verdict = fuse([_c2pa(C), _classifier("likely-generated", 0.97)])
    assert verdict.conflicts == ("classifier: classifier band likely-generated. The classifier does not override a "
                                 "declaration.",)  # fmt: skip


def test_tampered_declarations_are_shown_as_conflicts():
    verdict = fuse([_c2pa(integrity="tampered", claims=_TAMPERED_AI), _classifier("likely-real", 0.1)])
    assert verdict.label == labels.LIKELY_REAL
    assert any("before the file was changed" in c for c in verdict.conflicts)


def test_untrusted_declaration_never_weighs_less_than_metadata():
    order = list(labels.CERTAINTIES)
    credentials = fuse([_c2pa(G, signer="untrusted")])
    metadata = fuse([_signal("metadata", G)])
    assert order.index(credentials.certainty) <= order.index(metadata.certainty)
    both = fuse([_c2pa(G, signer="untrusted"), _signal("metadata", G)])
    assert both.deciding_signal == labels.C2PA


def test_absence_is_never_evidence():
    verdict = fuse([_signal("metadata"), _signal("c2pa"), _signal("watermark")])
    assert verdict.label == labels.INCONCLUSIVE
    assert "absence of provenance is not evidence" in verdict.reasons[0]


def test_p_generated_travels_with_the_verdict():
    assert fuse([_classifier(labels.LIKELY_REAL, 0.1)]).p_generated == 0.1


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError, match="Verdict.label must be one of"):
        Verdict("fake", None, ("r",))
    with pytest.raises(ValueError, match="Verdict.certainty must be one of"):
        Verdict("generated", None, ("r",), certainty="sure")
    with pytest.raises(ValueError, match="Finding.implies must be one of"):
        Finding("k", "w", "v", "m", "maybe")
    with pytest.raises(ValueError, match="p_generated must be in"):
        SignalResult("classifier", labels.FOUND, "s", p_generated=1.5)

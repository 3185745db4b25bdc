"""What a person should do next, for the verdict at hand: short, concrete steps, most useful first."""

from __future__ import annotations

from veracity.provenance import labels
from veracity.provenance.fusion.wording import Evidence

ASK_ORIGINAL = "Ask the source for the original file, with its metadata and Content Credentials intact."
REVERSE_SEARCH = "Run a reverse image search to find earlier copies and where the image first appeared."
CLASSIFIER_HINT = "Treat the classifier's score as a hint, not proof: it is often wrong on real-world images."
OTHER_SOURCES = "Look for other pictures of the same scene from independent sources."


def next_steps(evidence: Evidence) -> tuple[str, ...]:
    """Steps for this evidence, most useful first, each once.

    Args:
        evidence: what decided the verdict (see `wording.Evidence`).

    Returns:
        Plain sentences; never empty.
    """
    steps: list[str] = []
    if evidence.tampered_lead:
        steps.append(
            "Ask the source for the file as it was signed: the Content Credentials describe an earlier version "
            "and the changes since are not recorded."
        )
    label, decider = evidence.label, evidence.decider
    if decider == labels.C2PA and label in (labels.GENERATED, labels.AI_EDITED):
        if label == labels.GENERATED:
            steps.append("If the image is offered as a photograph, treat it as AI-made and ask how it was produced.")
        else:
            steps.append(
                "Find out what was changed with AI: compare with the ingredients listed in the Content Credentials, "
                "or ask for the unedited original."
            )
        if not evidence.signer_trusted:
            steps.append(
                "Check who signed: open the file in a second Content Credentials verifier and confirm the signer "
                "with the source."
            )
    elif decider in (labels.METADATA, labels.WATERMARK):
        steps.append("Ask the source which tool made the image and how.")
        steps.append(REVERSE_SEARCH)
    elif label == labels.CAPTURED:
        steps.append(
            "Check what the picture shows (place, time, people) against other sources: credentials vouch for "
            "the file's origin, not for the scene."
        )
    elif label in (labels.LIKELY_GENERATED, labels.LIKELY_REAL):
        steps.extend((CLASSIFIER_HINT, REVERSE_SEARCH, ASK_ORIGINAL))
    else:
        steps.extend(((ASK_ORIGINAL,) if not steps else ()) + (REVERSE_SEARCH, OTHER_SOURCES))
    return tuple(dict.fromkeys(steps))

"""The values a journalist needs from a report, as ``(name, value)`` rows shared by the text and HTML reports."""

from __future__ import annotations

from typing import Any

from veracity.provenance import labels
from veracity.provenance.report import Report

_METADATA_FACTS = (
    ("captured_at", "Captured"),
    ("camera", "Camera"),
    ("lens", "Lens"),
    ("gps", "GPS"),
    ("software", "Software"),
    ("artist", "Artist"),
    ("description", "Description"),
)
_GENERATOR_FACTS = (
    ("tool", "Generator"),
    ("model", "Model"),
    ("prompt", "Prompt"),
    ("negative_prompt", "Negative prompt"),
    ("seed", "Seed"),
    ("sampler", "Sampler"),
    ("steps", "Steps"),
    ("cfg_scale", "CFG scale"),
    ("size", "Size"),
)


def report_facts(report: Report) -> list[tuple[str, str]]:
    """Rows of facts: capture time, camera, lens, GPS, software; C2PA signer, time, actions, ingredients; generator."""
    rows: list[tuple[str, str]] = []
    metadata = report.signal(labels.METADATA)
    details = metadata.details if metadata is not None else {}
    facts = details.get("facts") or {}
    rows.extend((name, str(facts[key])) for key, name in _METADATA_FACTS if facts.get(key))
    c2pa = report.signal(labels.C2PA)
    if c2pa is not None and c2pa.status == labels.FOUND and c2pa.details.get("state") not in (None, "absent"):
        rows.extend(credential_facts(c2pa.details))
    generator = details.get("generator") or {}
    rows.extend((name, str(generator[key])) for key, name in _GENERATOR_FACTS if generator.get(key))
    return rows


def credential_facts(details: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for a c2pa signal's details: signer, signing time, trust list, generator, actions, ingredients."""
    rows: list[tuple[str, str]] = []
    signer = details.get("signer") or {}
    who = signer.get("organisation") or signer.get("common_name")
    if who:
        issued = f", certificate issued by {signer['issuer']}" if signer.get("issuer") else ""
        rows.append(("C2PA signer", f"{who}{issued}"))
    if signer.get("time"):
        stamp = "trusted timestamp" if signer.get("timestamped") else "time claimed by the signer, no trusted timestamp"
        rows.append(("Signed at", f"{signer['time']} ({stamp})"))
    if details.get("trust_list_name"):
        rows.append(("Trust list", str(details["trust_list_name"])))
    if details.get("claim_generator"):
        rows.append(("Made with", str(details["claim_generator"])))
    actions = "; ".join(describe_action(a) for a in details.get("actions") or [])
    if actions:
        rows.append(("C2PA actions", actions))
    ingredients = "; ".join(_ingredient(i) for i in details.get("ingredients") or [])
    if ingredients:
        rows.append(("Ingredients", ingredients))
    return rows


def describe_action(action: dict[str, Any]) -> str:
    """``c2pa.created by GPT-4o [trainedAlgorithmicMedia]``."""
    text = str(action.get("action"))
    if action.get("software_agent"):
        text += f" by {action['software_agent']}"
    source = action.get("digital_source_type") or action.get("vendor_source_type")
    return text + (f" [{source}]" if source else "")


def _ingredient(ingredient: dict[str, Any]) -> str:
    title = ingredient.get("title") or "untitled"
    parts = [ingredient.get("relationship") or "ingredient"]
    actions = [describe_action(a) for a in ingredient.get("actions") or []]
    if actions:
        parts.append(", ".join(actions))
    return f"{title} ({'; '.join(parts)})"

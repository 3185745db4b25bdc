"""Text rendering of a `ManifestResult`: state first, then who signed, what was declared, what failed."""

from __future__ import annotations

from veracity.provenance.credentials.facts import Ingredient
from veracity.provenance.credentials.reader import ManifestResult
from veracity.provenance.credentials.validation_codes import group_words

_STATE_LINE = {
    "absent": "No Content Credentials",
    "invalid": "INVALID: present but failing validation",
    "valid": "VALID: intact, signer not on a trust list in use",
    "trusted": "TRUSTED: intact and signed by a trusted signer",
}


def render_manifest(result: ManifestResult, *, tree: bool = False) -> str:
    """Lines for a person: state, location, signer, generator, actions, AI, failures by group, notes."""
    lines = [f"{result.name}: {_headline(result)}"]
    if result.location:
        lines.append(f"  location   : {result.location}" + (f" ({result.remote_url})" if result.remote_url else ""))
    if result.problem:
        lines.append(f"  problem    : {result.problem.kind}: {result.problem.message}")
    if result.signer and (result.signer.organisation or result.signer.common_name):
        s = result.signer
        stamp = "timestamped" if s.timestamped else "no trusted timestamp"
        lines.append(f"  signer     : {s.organisation or '?'} / {s.common_name or '?'}, issued by {s.issuer or '?'}")
        lines.append(f"  signed     : {s.time or 'time unknown'} ({stamp}); certificate until {s.not_after or '?'}")
    if result.trusted_by:
        lines.append(f"  trusted by : {result.trusted_by}")
    if result.claim_generator:
        lines.append(f"  generator  : {result.claim_generator}")
    if result.title:
        lines.append(f"  title      : {result.title} ({result.format or 'format unknown'})")
    for action in result.actions:
        extra = ", ".join(
            v
            for v in (action.digital_source_type, action.vendor_source_type and f"vendor: {action.vendor_source_type}")
            if v
        )
        lines.append(f"  action     : {action.action}" + (f" [{extra}]" if extra else ""))
    if result.ai.ai_anywhere:
        places = result.ai.to_dict()
        lines.append(
            "  AI         : declared ("
            + ", ".join(k for k in ("active_manifest_dst", "any_manifest_dst", "vendor_parameter_dst") if places[k])
            + (", legacy generative-ai assertion" if result.ai.legacy_generative_ai_assertion else "")
            + ")"
        )
    for group, codes in result.groups.items():
        lines.append(f"  {group_words(group)}:")
        seen = set()
        for code in codes:
            if (code.code, code.scope) in seen:
                continue
            seen.add((code.code, code.scope))
            scope = "" if code.scope == "active" else f" [{code.scope}]"
            lines.append(f"    - {code.code}: {code.words}{scope}")
    lines.append(f"  ingredients: {result.ingredient_count}")
    if tree:
        lines.extend(_tree(result.ingredients, "    "))
    lines.extend(f"  note: {n}" for n in result.notes)
    return "\n".join(lines)


def _headline(result: ManifestResult) -> str:
    if result.state != "absent":
        return _STATE_LINE[result.state]
    if result.remote_url:
        return "Content Credentials stored remotely: NOT fetched, so not checked"
    if result.problem is not None and result.problem.kind.endswith("NotSupported"):
        return "No Content Credentials read: the C2PA reader does not support this format"
    if result.problem is not None:
        return "No Content Credentials read: the file could not be parsed (damaged or hostile container)"
    return _STATE_LINE["absent"]


def _tree(ingredients: tuple[Ingredient, ...], indent: str) -> list[str]:
    lines = []
    for ingredient in ingredients:
        status = "has manifest" if ingredient.manifest else "no manifest"
        failing = ", ".join(sorted({c.code for c in ingredient.failures}))
        lines.append(
            f"{indent}- {ingredient.title} ({ingredient.relationship}, {ingredient.format}; {status})"
            + (f" failures: {failing}" if failing else "")
            + (f" source: {', '.join(ingredient.source_types)}" if ingredient.source_types else "")
        )
        lines.extend(_tree(ingredient.ingredients, indent + "  "))
    return lines

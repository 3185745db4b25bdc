"""Recognise the metadata that image generators and their front ends write.

Each rule looks at the text fields of a file (PNG text chunks, EXIF strings, XMP properties) and
returns findings that say which tool wrote them. Rules match structure, not a lone word, so that a
photo captioned "a prompt reply" is not taken for a generated image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from veracity.provenance import labels
from veracity.provenance.signals import Finding


@dataclass(frozen=True)
class TextField:
    """One text value found in a file.

    Attributes:
        where: a human description of the location, e.g. ``"PNG text chunk 'parameters'"``.
        key: the field name as stored (``"parameters"``, ``"Software"``, ``"xmp:CreatorTool"``).
        value: the decoded text.
    """

    where: str
    key: str
    value: str


def shorten(text: str, limit: int = 160) -> str:
    """One line, at most ``limit`` characters, for reports."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_A1111_KEYS = re.compile(r"\b(Steps|Sampler|CFG scale|Seed|Model hash|Model|Size):", re.IGNORECASE)
_MIDJOURNEY_JOB = re.compile(r"Job ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_OPENAI_MARK = re.compile(r"OpenAI--ImageGeneration--|Made with OpenAI|\bDALL[·\-. ]?E\b", re.IGNORECASE)

# Software/creator strings written by generators themselves (lower-case substrings).
KNOWN_GENERATOR_SOFTWARE: dict[str, str] = {
    "stable-diffusion": "Stable Diffusion",
    "stable diffusion": "Stable Diffusion",
    "stability.ai": "Stability AI",
    "novelai": "NovelAI",
    "midjourney": "Midjourney",
    "dall-e": "OpenAI DALL-E",
    "dall·e": "OpenAI DALL-E",
    "openai": "OpenAI",
    "adobe firefly": "Adobe Firefly",
    "firefly": "Adobe Firefly",
    "comfyui": "ComfyUI",
    "automatic1111": "AUTOMATIC1111 web UI",
    "invokeai": "InvokeAI",
    "fooocus": "Fooocus",
    "diffusionbee": "DiffusionBee",
    "draw things": "Draw Things",
    "leonardo.ai": "Leonardo.Ai",
    "ideogram": "Ideogram",
    "imagen": "Google Imagen",
    "made with google ai": "Google generative AI",
    "bing image creator": "Microsoft Bing Image Creator",
    "microsoft designer": "Microsoft Designer",
    "flux.1": "Black Forest Labs FLUX.1",
    "runway": "Runway",
    "krita ai": "Krita AI Diffusion",
}
# Keys whose value names the tool that produced the file.
_SOFTWARE_KEYS = frozenset(
    {
        "software",
        "xmp:creatortool",
        "creatortool",
        "tiff:software",
        "model",
        "tiff:model",
        "make",
        "tiff:make",
        "photoshop:credit",
        "credit",
        "source",
        "iptc4xmpext:aisystemused",
        "aisystemused",
    }
)
_SOFTWARE_SPECIFIC = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(k) for k in KNOWN_GENERATOR_SOFTWARE) + r")(?![a-z])"
)
# Names that appear as a C2PA action's software agent or claim generator of generative tools. Kept apart from
# KNOWN_GENERATOR_SOFTWARE because words like "gemini" are too common to decide anything in EXIF Model fields.
_GENERATIVE_AGENTS: dict[str, str] = {
    **KNOWN_GENERATOR_SOFTWARE,
    "sora": "OpenAI Sora",
    "chatgpt": "OpenAI ChatGPT",
    "gpt-4o": "OpenAI GPT-4o",
    "gpt-image": "OpenAI GPT Image",
    "gemini": "Google Gemini",
    "titan image generator": "Amazon Titan Image Generator",
    "generative fill": "Adobe Generative Fill",
    "generative expand": "Adobe Generative Expand",
    "bria": "Bria AI",
}
_AGENT_SPECIFIC = re.compile(r"(?<![a-z])(" + "|".join(re.escape(k) for k in _GENERATIVE_AGENTS) + r")(?![a-z])")


def generative_tool(name: str | None) -> str | None:
    """The generative tool a software-agent or generator string names (``"Adobe Firefly"``), else ``None``.

    Example:
        >>> generative_tool("Adobe Firefly 2.1")
        'Adobe Firefly'
        >>> generative_tool("Adobe Photoshop 26.9") is None
        True
    """
    match = _AGENT_SPECIFIC.search((name or "").lower())
    return _GENERATIVE_AGENTS[match.group(1)] if match else None


def _generated(kind: str, field: TextField, tool: str, detail: str) -> Finding:
    return Finding(
        kind=f"generator.{kind}",
        where=field.where,
        value=shorten(field.value),
        meaning=f"{tool} wrote this metadata: {detail}",
        implies=labels.IMPLIES_GENERATED,
    )


def _a1111(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        if f.key.lower() == "parameters":
            text = f.value.strip()
            if text.startswith("{"):
                data = json_object(text)
                if data and ("sui_image_params" in data):
                    yield _generated("swarmui", f, "SwarmUI", "its generation parameters (prompt, model, seed).")
                elif data and ({"prompt", "base_model"} <= set(data) or "fooocus" in text.lower()):
                    yield _generated("fooocus", f, "Fooocus", "its generation parameters (prompt, model, seed).")
                continue
            if len(_A1111_KEYS.findall(text)) >= 2:
                yield _generated(
                    "automatic1111",
                    f,
                    "A Stable Diffusion web UI (AUTOMATIC1111, Forge or SD.Next)",
                    "prompt, sampler, steps and seed of a text-to-image run.",
                )


def _comfyui(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        key = f.key.lower()
        if key not in ("prompt", "workflow"):
            continue
        data = json_object(f.value)
        if data is None:
            continue
        if key == "prompt" and any(isinstance(v, dict) and "class_type" in v for v in data.values()):
            yield _generated("comfyui", f, "ComfyUI", "its node graph (the 'prompt' of a generation run).")
        elif key == "workflow" and isinstance(data.get("nodes"), list):
            yield _generated("comfyui", f, "ComfyUI", "its saved workflow of generation nodes.")


def _invokeai(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        key = f.key.lower()
        if key in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "dream"):
            yield _generated("invokeai", f, "InvokeAI", "its generation metadata (model, prompt, seed).")


def _novelai(fields: Sequence[TextField]) -> Iterable[Finding]:
    software = any(f.key.lower() == "software" and "novelai" in f.value.lower() for f in fields)
    for f in fields:
        if f.key.lower() == "comment":
            data = json_object(f.value)
            if data and {"steps", "sampler"} <= set(data) and ("n_samples" in data or software):
                yield _generated("novelai", f, "NovelAI", "its generation settings (steps, sampler, seed).")


def _midjourney(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        if _MIDJOURNEY_JOB.search(f.value):
            yield _generated("midjourney", f, "Midjourney", "a Midjourney job id.")


def _openai(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        if f.key.lower() in (
            "usercomment",
            "makernote",
            "imagedescription",
            "comment",
            "description",
            "software",
            "dc:description",
        ) and _OPENAI_MARK.search(f.value):
            yield _generated("openai", f, "OpenAI (DALL-E / ChatGPT image generation)", "an OpenAI generation marker.")


def _prompt_and_seed(fields: Sequence[TextField]) -> Iterable[Finding]:
    # Plain 'prompt' + 'seed' text chunks: scripts (DRCT, Easy Diffusion, many notebooks) record their run.
    keys = {f.key.lower(): f for f in fields if f.where.startswith("PNG")}
    if "prompt" in keys and "seed" in keys and json_object(keys["prompt"].value) is None:
        f = keys["prompt"]
        yield _generated("text_to_image", f, "A text-to-image script", "the prompt and the random seed of the run.")


def _software(fields: Sequence[TextField]) -> Iterable[Finding]:
    for f in fields:
        if f.key.lower() not in _SOFTWARE_KEYS:
            continue
        match = _SOFTWARE_SPECIFIC.search(f.value.lower())
        if match:
            tool = KNOWN_GENERATOR_SOFTWARE[match.group(1)]
            yield _generated("software", f, tool, f"the {f.key} field names a generator ({shorten(f.value, 60)!r}).")


def _ai_properties(fields: Sequence[TextField]) -> Iterable[Finding]:
    # IPTC 2025 AI properties: the system used and the prompt are written only for generated content.
    for f in fields:
        if f.key.lower() in ("iptc4xmpext:aisystemused", "iptc4xmpext:aipromptinformation") and f.value.strip():
            yield _generated("iptc_ai", f, "The IPTC AI metadata", "it records the AI system or prompt used.")


RULES: tuple[Callable[[Sequence[TextField]], Iterable[Finding]], ...] = (
    _a1111,
    _comfyui,
    _invokeai,
    _novelai,
    _midjourney,
    _openai,
    _ai_properties,
    _prompt_and_seed,
    _software,
)


def find_generator_traces(fields: Sequence[TextField]) -> list[Finding]:
    """Apply every rule; one finding per (rule kind, location), strongest rules first."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for rule in RULES:
        for finding in rule(fields):
            key = (finding.kind, finding.where)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return findings


def json_object(text: str) -> dict | None:
    """The JSON object a text chunk holds (capped at 8 MB), or ``None`` when it holds none."""
    text = text.strip()
    if not text.startswith("{") or len(text) > 8_000_000:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None

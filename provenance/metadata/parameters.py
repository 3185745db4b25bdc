"""Generation parameters that image generators write into their files: tool, model, prompt, seed, sampler, steps.

Each reader takes the text fields of a file (`generators.TextField`) and returns the values it recognises;
`read_generation_parameters` returns the first tool's values. Values are kept as written (prompts shortened
for reports), never guessed: a field the tool did not write is absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from veracity.provenance.metadata.generators import TextField, json_object, shorten

PROMPT_CHARS = 300
_A1111_LINE = re.compile(r"^(Steps: .*)$", re.MULTILINE)
_A1111_PAIR = re.compile(r"\s*([\w /-]+?):\s*(\"[^\"]*\"|[^,]*)(?:,|$)")


@dataclass(frozen=True)
class GenerationParameters:
    """What a generator recorded about a run (any field may be ``None``).

    Attributes:
        tool: the generator or front end, e.g. ``"AUTOMATIC1111 web UI"``, ``"ComfyUI"``.
        model: the model or checkpoint name.
        prompt: the prompt, shortened to `PROMPT_CHARS` characters.
        negative_prompt: the negative prompt, shortened.
        seed, sampler, steps, cfg_scale, size: as written.
        where: the field they were read from.
    """

    tool: str
    model: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: str | None = None
    sampler: str | None = None
    steps: str | None = None
    cfg_scale: str | None = None
    size: str | None = None
    where: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def read_generation_parameters(fields: Sequence[TextField]) -> GenerationParameters | None:
    """The generation parameters of the first tool recognised in `fields`, or ``None``."""
    for reader in _READERS:
        found = reader(fields)
        if found is not None:
            return found
    return None


def _a1111(fields: Sequence[TextField]) -> GenerationParameters | None:
    for f in fields:
        if f.key.lower() != "parameters" or f.value.lstrip().startswith("{"):
            continue
        match = _A1111_LINE.search(f.value)
        if match is None:
            continue
        head = f.value[: match.start()].rstrip("\n")
        prompt, _, negative = head.partition("\nNegative prompt:")
        pairs = {k.strip().lower(): v.strip().strip('"') for k, v in _A1111_PAIR.findall(match.group(1))}
        return GenerationParameters(
            tool="Stable Diffusion web UI (AUTOMATIC1111, Forge or SD.Next)",
            model=pairs.get("model"),
            prompt=_short(prompt),
            negative_prompt=_short(negative),
            seed=pairs.get("seed"),
            sampler=pairs.get("sampler"),
            steps=pairs.get("steps"),
            cfg_scale=pairs.get("cfg scale"),
            size=pairs.get("size"),
            where=f.where,
        )
    return None


def _comfyui(fields: Sequence[TextField]) -> GenerationParameters | None:
    for f in fields:
        if f.key.lower() != "prompt":
            continue
        graph = json_object(f.value)
        nodes = [n for n in graph.values() if isinstance(n, dict) and "class_type" in n] if graph else []
        if not nodes:
            continue
        sampler = next((n.get("inputs", {}) for n in nodes if "KSampler" in str(n.get("class_type"))), {})
        loader = next((n.get("inputs", {}) for n in nodes if "Checkpoint" in str(n.get("class_type"))), {})
        texts = [n.get("inputs", {}).get("text") for n in nodes if "CLIPTextEncode" in str(n.get("class_type"))]
        texts = [t for t in texts if isinstance(t, str)]
        return GenerationParameters(
            tool="ComfyUI",
            model=_text(loader.get("ckpt_name")),
            prompt=_short(texts[0]) if texts else None,
            negative_prompt=_short(texts[1]) if len(texts) > 1 else None,
            seed=_text(sampler.get("seed") or sampler.get("noise_seed")),
            sampler=_text(sampler.get("sampler_name")),
            steps=_text(sampler.get("steps")),
            cfg_scale=_text(sampler.get("cfg")),
            where=f.where,
        )
    return None


def _json_tools(fields: Sequence[TextField]) -> GenerationParameters | None:
    """NovelAI (``Comment``), Fooocus and SwarmUI (``parameters`` JSON), InvokeAI (``invokeai_metadata``)."""
    for f in fields:
        key = f.key.lower()
        data = json_object(f.value) if key in ("comment", "parameters", "invokeai_metadata") else None
        if not data:
            continue
        if "sui_image_params" in data:
            data, tool = data["sui_image_params"], "SwarmUI"
        elif key == "comment" and {"steps", "sampler"} <= set(data):
            tool = "NovelAI"
        elif key == "invokeai_metadata":
            tool = "InvokeAI"
        elif "base_model" in data or "fooocus" in f.value.lower():
            tool = "Fooocus"
        else:
            continue
        model = data.get("model") or data.get("base_model")
        if isinstance(model, dict):
            model = model.get("name") or model.get("model_name")
        return GenerationParameters(
            tool=tool,
            model=_text(model),
            prompt=_short(_text(data.get("prompt") or data.get("positive_prompt"))),
            negative_prompt=_short(_text(data.get("negative_prompt") or data.get("uc") or data.get("negativeprompt"))),
            seed=_text(data.get("seed")),
            sampler=_text(data.get("sampler") or data.get("scheduler") or data.get("sampler_name")),
            steps=_text(data.get("steps")),
            cfg_scale=_text(
                data.get("scale") or data.get("cfg_scale") or data.get("cfgscale") or data.get("guidance_scale")
            ),
            size=_size(data),
            where=f.where,
        )
    return None


def _short(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    return shorten(text, PROMPT_CHARS)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _size(data: dict[str, Any]) -> str | None:
    width, height = data.get("width"), data.get("height")
    return f"{width}x{height}" if width and height else None


_READERS: tuple[Callable[[Sequence[TextField]], GenerationParameters | None], ...] = (_a1111, _comfyui, _json_tools)

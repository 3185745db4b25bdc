"""Write small TensorFlow.js layers models (``model.json`` + one weight shard) the way the TF.js converter does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def layer(kind: str, name: str, inputs: list[str], **config) -> dict:
    return {
        "class_name": kind,
        "name": name,
        "config": {"name": name, **config},
        "inbound_nodes": [[[source, 0, 0, {}] for source in inputs]] if inputs else [],
    }


def conv(name: str, source: str, filters: int, kernel: int = 3, activation: str = "linear") -> dict:
    return layer(
        "Conv2D",
        name,
        [source],
        filters=filters,
        kernel_size=[kernel, kernel],
        strides=[1, 1],
        padding="same",
        data_format="channels_last",
        dilation_rate=[1, 1],
        activation=activation,
        use_bias=True,
    )


def write_model(folder: Path, layers: list[dict], weights: dict[str, np.ndarray], *, quantize: bool = False) -> Path:
    """Save the model; with ``quantize`` every weight is stored as uint8 with its min and scale (lossy)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries, chunks = [], []
    for name, values in weights.items():
        entry = {"name": name, "shape": list(values.shape), "dtype": "float32"}
        if quantize:
            low, high = float(values.min()), float(values.max())
            scale = (high - low) / 255 or 1.0
            chunks.append(np.round((values - low) / scale).astype(np.uint8).tobytes())
            entry["quantization"] = {"dtype": "uint8", "min": low, "scale": scale, "original_dtype": "float32"}
        else:
            chunks.append(values.astype(np.float32).tobytes())
        entries.append(entry)
    (folder / "group1-shard1of1.bin").write_bytes(b"".join(chunks))
    config = {
        "name": "model",
        "layers": layers,
        "input_layers": [[layers[0]["name"], 0, 0]],
        "output_layers": [[layers[-1]["name"], 0, 0]],
    }
    model_config = {"class_name": "Model", "config": config}
    topology = {"keras_version": "2.9.0", "backend": "tensorflow", "model_config": model_config}
    spec = {
        "format": "layers-model",
        "modelTopology": topology,
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": entries}],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(spec))
    return path


def nearest_upsampler(folder: Path, factor: int) -> Path:
    """A model that only upsamples (nearest): its output is known exactly."""
    layers = [layer("InputLayer", "LR_input", []), layer("UpSampling2D", "SR", ["LR_input"], size=[factor, factor])]
    return write_model(folder, layers, {})

"""Run a TensorFlow.js *layers* model (``model.json`` plus weight shards) as a torch module.

Why: pretrained super-resolution networks (RDN and RRDN upsamplers trained on DIV2K photos) are published on
npm as TF.js models, weights inside the package. Interpreting their Keras graph here lets the aligned-data
build use them without TensorFlow. Only the layers those networks use are supported; anything else raises
`UnsupportedLayerError` naming the layer, never a silently wrong network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class UnsupportedLayerError(ValueError):
    """The model uses a Keras layer or option this interpreter does not implement."""


_DTYPES = {"float32": np.float32, "uint8": np.uint8, "uint16": np.uint16, "float16": np.float16, "int32": np.int32}


def read_weights(model_dir: Path, manifest: list[dict]) -> dict[str, np.ndarray]:
    """Every weight of ``manifest`` as float32, dequantising uint8/uint16/float16 entries (TF.js rules)."""
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        buffer = b"".join((model_dir / path).read_bytes() for path in group["paths"])
        offset = 0
        for entry in group["weights"]:
            quantization = entry.get("quantization")
            stored = quantization["dtype"] if quantization else entry["dtype"]
            count = int(np.prod(entry["shape"], dtype=np.int64))
            if offset + count * np.dtype(_DTYPES[stored]).itemsize > len(buffer):
                raise ValueError(f"{model_dir}: weight shards end before {entry['name']} (truncated download?)")
            values = np.frombuffer(buffer, dtype=_DTYPES[stored], count=count, offset=offset)
            offset += count * values.itemsize
            if quantization and stored in ("uint8", "uint16"):
                values = values.astype(np.float32) * quantization["scale"] + quantization["min"]
            weights[entry["name"]] = values.astype(np.float32).reshape(entry["shape"])
        if offset != len(buffer):
            raise ValueError(f"{model_dir}: weight shards hold {len(buffer)} bytes, the manifest names {offset}")
    return weights


def _depth_to_space(x: torch.Tensor, block: int) -> torch.Tensor:
    """``tf.depthToSpace`` in NHWC order, applied to an NCHW tensor (torch's pixel_shuffle orders differently)."""
    n, c, h, w = x.shape
    x = x.view(n, block, block, c // block**2, h, w).permute(0, 3, 4, 1, 5, 2)
    return x.reshape(n, c // block**2, h * block, w * block)


_PLAIN_LAYERS = ("InputLayer", "Conv2D", "Activation", "Concatenate", "Add", "UpSampling2D", "MultiplyBeta")
_ACTIVATIONS = {"linear": lambda x: x, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


class _Layer(nn.Module):
    """One Keras layer: its kind, its config and (for Conv2D) its weights."""

    def __init__(self, spec: dict, weights: dict[str, np.ndarray]):
        super().__init__()
        self.kind, self.config = spec["class_name"], spec["config"]
        name = spec["name"]
        if self.kind == "Conv2D":
            if self.config.get("data_format", "channels_last") != "channels_last" or self.config.get("groups", 1) != 1:
                raise UnsupportedLayerError(f"Conv2D {name}: only channels_last, ungrouped convolutions")
            kernel = torch.from_numpy(weights[f"{name}/kernel"]).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            self.weight = nn.Parameter(kernel, requires_grad=False)
            bias = weights.get(f"{name}/bias")
            self.bias = nn.Parameter(torch.from_numpy(bias), requires_grad=False) if bias is not None else None
        activation = self.config.get("activation", "linear")
        if activation not in _ACTIVATIONS:
            raise UnsupportedLayerError(f"{self.kind} {name}: activation {activation!r}")
        self.activation = _ACTIVATIONS[activation]
        if self.kind == "UpSampling2D" and self.config.get("interpolation", "nearest") != "nearest":
            raise UnsupportedLayerError(f"UpSampling2D {name}: interpolation {self.config['interpolation']!r}")
        if self.kind.startswith("PixelShuffle"):
            self.block = int(self.config.get("scale") or self.kind.removeprefix("PixelShuffle").removesuffix("x"))
        elif self.kind not in _PLAIN_LAYERS:
            raise UnsupportedLayerError(f"layer {name}: Keras class {self.kind!r} is not supported")

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        kind, config = self.kind, self.config
        if kind == "Conv2D":
            kernel = self.weight.shape[-1]
            padding = "same" if config["padding"] == "same" else 0
            if padding == "same" and (tuple(config["strides"]) != (1, 1) or kernel % 2 == 0):
                raise UnsupportedLayerError("Conv2D 'same' padding is only exact for stride 1 and odd kernels here")
            strides, dilation = tuple(config["strides"]), tuple(config["dilation_rate"])
            return self.activation(F.conv2d(inputs[0], self.weight, self.bias, strides, padding, dilation))
        if kind == "Activation":
            return self.activation(inputs[0])
        if kind == "Concatenate":
            if config.get("axis", -1) not in (-1, 3):
                raise UnsupportedLayerError(f"Concatenate on axis {config['axis']}")
            return torch.cat(inputs, dim=1)
        if kind == "Add":
            return torch.stack(inputs).sum(0)
        if kind == "UpSampling2D":
            return F.interpolate(inputs[0], scale_factor=tuple(float(s) for s in config["size"]), mode="nearest")
        if kind == "MultiplyBeta":
            return inputs[0] * float(config.get("beta", 0.2))
        if kind.startswith("PixelShuffle"):
            return _depth_to_space(inputs[0], self.block)
        return inputs[0]  # InputLayer


class TfjsLayersModel(nn.Module):
    """A single-input, single-output Keras functional model from TF.js; NCHW tensors in and out."""

    def __init__(self, model_json: Path):
        super().__init__()
        model_json = Path(model_json)
        spec = json.loads(model_json.read_text())
        if spec.get("format", "layers-model") != "layers-model":
            raise UnsupportedLayerError(f"{model_json}: format {spec.get('format')!r}, expected a layers-model")
        config = spec["modelTopology"]["model_config"]["config"]
        weights = read_weights(model_json.parent, spec["weightsManifest"])
        self.order = [layer["name"] for layer in config["layers"]]
        self.inbound = {
            layer["name"]: [node[0] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            for layer in config["layers"]
        }
        self.layers = nn.ModuleDict({layer["name"]: _Layer(layer, weights) for layer in config["layers"]})
        (self.input_name, *_), *_ = config["input_layers"]
        (self.output_name, *_), *_ = config["output_layers"]

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.input_name: x}
        last_use = {source: name for name in self.order for source in self.inbound[name]}
        for name in self.order:  # Keras writes layers in a topological order
            if name == self.input_name:
                continue
            values[name] = self.layers[name]([values[source] for source in self.inbound[name]])
            for source in self.inbound[name]:  # free feature maps nothing later reads: bounds peak memory
                if last_use[source] == name and source != self.output_name:
                    values.pop(source, None)
        return values[self.output_name]

"""ImageNet-pretrained starting weights read from a published TFLite classifier, never from a model hub.

Trained from scratch on a few thousand images, the detector learns little that transfers; an ImageNet start
is the usual remedy (Wang et al., CVPR 2020). No hub is reachable here, but google-coral/test_data
(Apache-2.0) publishes ``mobilenet_v2_1.0_224_quant.tflite``: TensorFlow's ImageNet MobileNetV2, 8-bit
quantised, batch norm folded into each convolution, 3.6 MB. This module dequantises its convolutions onto
timm's ``mobilenetv2_100`` in graph order (each batch norm becomes an identity scale carrying the folded bias)
and writes a `ForensicClassifier` start for ``veracity train --init``.

Only the RGB stem fits: the network was trained on pixels in [-1, 1], while `RGBStem` gives ``(x - 0.5) * 4``,
so the first convolution is halved. timm's symmetric padding differs from TensorFlow's ``SAME`` on stride-2
layers by one pixel; fine-tuning absorbs that (ImageNet top-1 on the sample images: 0.82 with ``SAME``,
0.76 without).

    python -m veracity.detector.training.pretrained --tflite mobilenet_v2_1.0_224_quant.tflite --out init.safetensors
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from veracity.provenance.assets.hashing import sha256_file


@dataclass(frozen=True)
class PretrainedSource:
    """Where a supported TFLite file comes from, so a card can cite it and a run can check it."""

    backbone: str
    repo: str
    commit: str
    path: str
    licence: str
    sha256: str


SOURCES: dict[str, PretrainedSource] = {
    "mobilenetv2_100": PretrainedSource(
        backbone="mobilenetv2_100",
        repo="google-coral/test_data",
        commit="104342d2d3480b3e66203073dac24f4e2dbb4c41",
        path="mobilenet_v2_1.0_224_quant.tflite",
        licence="Apache-2.0",
        sha256="7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
    ),
}
#: `RGBStem` multiplies centred pixels by 4; TensorFlow's MobileNets expect a factor of 2.
STEM_WEIGHT_SCALE = 0.5


@dataclass(frozen=True)
class FoldedConv:
    """One convolution of a TFLite graph, dequantised, in torch layout.

    Attributes:
        depthwise: a DEPTHWISE_CONV_2D (weight (C, 1, kh, kw)) rather than a CONV_2D (weight (O, I, kh, kw)).
        weight: float32 weights.
        bias: float32 bias (the folded batch norm), shape (O,).
    """

    depthwise: bool
    weight: np.ndarray
    bias: np.ndarray


def _dequantised(model, graph, index: int) -> np.ndarray:
    import tflite

    tensor = graph.Tensors(index)
    dtypes = {
        tflite.TensorType.UINT8: np.uint8,
        tflite.TensorType.INT8: np.int8,
        tflite.TensorType.INT32: np.int32,
        tflite.TensorType.FLOAT32: np.float32,
    }
    if tensor.Type() not in dtypes:
        raise ValueError(f"Tensor {index} has an unsupported TFLite type {tensor.Type()}.")
    raw = model.Buffers(tensor.Buffer()).DataAsNumpy()
    values = np.frombuffer(np.asarray(raw).tobytes(), dtype=dtypes[tensor.Type()]).reshape(tensor.ShapeAsNumpy())
    values = values.astype(np.float32)
    quant = tensor.Quantization()
    if quant is None or not quant.ScaleLength():
        return values
    scale = quant.ScaleAsNumpy().astype(np.float32)
    zero = quant.ZeroPointAsNumpy().astype(np.float32) if quant.ZeroPointLength() else np.zeros_like(scale)
    if scale.size == 1:
        return (values - zero[0]) * scale[0]
    shape = [1] * values.ndim
    shape[quant.QuantizedDimension()] = -1  # per-channel scales along the quantised axis
    return (values - zero.reshape(shape)) * scale.reshape(shape)


def read_tflite_convolutions(path: str | Path) -> list[FoldedConv]:
    """Every CONV_2D and DEPTHWISE_CONV_2D of the first subgraph of ``path``, in execution order.

    Raises:
        ValueError: the file is not a TFLite model, or a weight tensor has an unsupported type.
    """
    import tflite

    data = Path(path).read_bytes()
    if data[4:8] != b"TFL3":
        raise ValueError(f"{path} is not a TFLite model (no TFL3 identifier).")
    model = tflite.Model.GetRootAsModel(data, 0)
    graph = model.Subgraphs(0)
    kinds = {tflite.BuiltinOperator.CONV_2D: False, tflite.BuiltinOperator.DEPTHWISE_CONV_2D: True}
    convs = []
    for position in range(graph.OperatorsLength()):
        op = graph.Operators(position)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())  # codes past 127 use the new field
        if builtin not in kinds:
            continue
        weight = _dequantised(model, graph, op.Inputs(1))
        bias = _dequantised(model, graph, op.Inputs(2))
        # TFLite stores OHWI (conv) and 1HWC (depthwise); torch wants OIHW and C1HW.
        weight = weight.transpose(3, 0, 1, 2) if kinds[builtin] else weight.transpose(0, 3, 1, 2)
        convs.append(FoldedConv(kinds[builtin], np.ascontiguousarray(weight), bias))
    return convs


def load_convolutions_into(net: nn.Module, convs: list[FoldedConv]) -> int:
    """Copy ``convs`` onto ``net``'s convolutions in module order; return how many were copied.

    Each convolution's following batch norm becomes ``y = x + bias`` (unit scale, zero mean, unit variance),
    which is what a folded convolution computes. A final extra 1x1 convolution (a TFLite logits layer) is
    ignored: the detector's head is its own.

    Raises:
        ValueError: the number or the shapes of the convolutions do not match ``net``.
    """
    modules = list(net.named_modules())
    pairs = []
    for position, (name, module) in enumerate(modules):
        if isinstance(module, nn.Conv2d):
            norm = next((m for _, m in modules[position + 1 :] if isinstance(m, nn.BatchNorm2d)), None)
            pairs.append((name, module, norm))
    if len(convs) not in (len(pairs), len(pairs) + 1):
        raise ValueError(f"The file has {len(convs)} convolutions; the network has {len(pairs)}.")
    with torch.no_grad():
        for (name, conv, norm), folded in zip(pairs, convs, strict=False):  # a trailing logits layer is left out
            if tuple(conv.weight.shape) != folded.weight.shape:
                raise ValueError(f"{name}: the network has {tuple(conv.weight.shape)}, the file {folded.weight.shape}.")
            conv.weight.copy_(torch.from_numpy(folded.weight))
            if norm is None:
                raise ValueError(f"{name} has no batch norm after it to carry the folded bias.")
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(folded.bias))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
    return len(pairs)


def create_init_weights(tflite_path: str | Path, out: str | Path, *, backbone: str = "mobilenetv2_100") -> Path:
    """Write a `ForensicClassifier` (RGB stem, ``backbone``) started from ``tflite_path`` to ``out``.

    Raises:
        ValueError: ``backbone`` has no known source, the file's sha256 is not the published one, or the file
            does not fit the backbone.
    """
    from safetensors.torch import save_file

    from veracity.detector.training.network import build_model

    if backbone not in SOURCES:
        raise ValueError(f"No pretrained source for {backbone!r}; known: {sorted(SOURCES)}.")
    source = SOURCES[backbone]
    digest = sha256_file(tflite_path)
    if digest != source.sha256:
        raise ValueError(
            f"{tflite_path} has sha256 {digest}, not that of {source.repo}@{source.commit[:12]}:{source.path}."
        )
    model = build_model(backbone, "rgb")
    load_convolutions_into(model.backbone, read_tflite_convolutions(tflite_path))
    with torch.no_grad():
        model.backbone.conv_stem.weight.mul_(STEM_WEIGHT_SCALE)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tensors = {key: value.contiguous() for key, value in model.state_dict().items()}
    save_file(tensors, str(out), metadata={"backbone": backbone, "stem": "rgb", "pretrained": source.repo})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflite", type=Path, required=True, help=f"e.g. {SOURCES['mobilenetv2_100'].path}")
    parser.add_argument("--out", type=Path, required=True, help="model.safetensors to pass to train --init")
    parser.add_argument("--backbone", default="mobilenetv2_100", choices=sorted(SOURCES))
    args = parser.parse_args()
    print(create_init_weights(args.tflite, args.out, backbone=args.backbone))


if __name__ == "__main__":
    main()

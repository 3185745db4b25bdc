"""The trainable detector network: a fixed forensic stem in front of a small timm backbone.

The stem computes NPR-style neighbouring-pixel residuals, ``x - up(down(x))`` with nearest 2x resampling
(Tan et al., CVPR 2024, "Rethinking the up-sampling operations in CNN-based generative network for
generalizable deepfake detection"): generators build images with 2x upsampling stages, which leave
correlations inside each 2x2 cell that this residual exposes while removing most of the scene content.
The backbone only ever sees that residual, at native resolution (crops, never a resized image).

This module imports torch and timm: training and export use it, the inference path (`veracity.detector.models.forensic`)
does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import timm
import torch
import torch.nn.functional as F
from torch import nn

#: Default architecture of the shipped model.
DEFAULT_BACKBONE = "mobilenetv3_small_100"

#: Multiplies the residual (typically a few hundredths) so the first convolution sees unit-scale values.
RESIDUAL_GAIN = 10.0


class NPRStem(nn.Module):
    """``x - nearest_up(nearest_down(x))``: the pixel minus the top-left pixel of its 2x2 cell.

    Input height and width must be even and the crop must start on even image coordinates, so the 2x2 cells
    are those of the whole image (`veracity.detector.models.tiles` guarantees both).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        down = x[:, :, ::2, ::2]
        up = down.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        return (x - up) * RESIDUAL_GAIN


class RGBStem(nn.Module):
    """The pixels themselves, centred and scaled to about unit range: ``(x - 0.5) * 4``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - 0.5) * 4.0


class BothStem(nn.Module):
    """The NPR residual and the centred pixels side by side: 6 channels."""

    def __init__(self) -> None:
        super().__init__()
        self.npr, self.rgb = NPRStem(), RGBStem()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.npr(x), self.rgb(x)], dim=1)


#: Stem name -> (module class, channels it gives the backbone). The name travels in detector.json's params.
STEMS: dict[str, tuple[type[nn.Module], int]] = {"npr": (NPRStem, 3), "rgb": (RGBStem, 3), "npr+rgb": (BothStem, 6)}
DEFAULT_STEM = "npr"


class ForensicClassifier(nn.Module):
    """Crops in [0, 1], shape (N, 3, H, W) with even H and W -> one logit of P(generated) per crop, shape (N,).

    Args:
        backbone: timm model name.
        stem: a key of `STEMS`: the fixed first stage (NPR residual, centred pixels, or both).
    """

    def __init__(self, backbone: str = DEFAULT_BACKBONE, stem: str = DEFAULT_STEM, **timm_kwargs) -> None:
        super().__init__()
        if stem not in STEMS:
            raise ValueError(f"Unknown stem {stem!r}. Choose one of {sorted(STEMS)}.")
        stem_cls, channels = STEMS[stem]
        self.stem = stem_cls()
        # pretrained=False always: weights come only from this project's training, never from a hub.
        self.backbone = timm.create_model(backbone, pretrained=False, num_classes=1, in_chans=channels, **timm_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.stem(x)).squeeze(1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the head reads: the backbone's pooled features, shape (N, F)."""
        return self.backbone.forward_head(self.backbone.forward_features(self.stem(x)), pre_logits=True)

    @property
    def head(self) -> nn.Module:
        return self.backbone.get_classifier()


class PooledLevelsClassifier(nn.Module):
    """A classifier whose linear head reads the pooled outputs of some backbone blocks beside the last features.

    Mid-level features keep more of the texture statistics that the last layer pools away; a linear probe on
    both transfers better than one on the last layer alone (see detector/MODEL_CARD.md). Supports timm's
    EfficientNet family (MobileNetV2, EfficientNet) and MobileNetV3, whose ``blocks`` are a plain sequence.

    Args:
        backbone: timm model name.
        stem: a key of `STEMS`.
        levels: indices into ``backbone.blocks`` whose outputs are average-pooled into the features.
    """

    def __init__(self, backbone: str, stem: str, levels: Sequence[int]) -> None:
        super().__init__()
        from timm.models.efficientnet import EfficientNet
        from timm.models.mobilenetv3 import MobileNetV3

        if stem not in STEMS:
            raise ValueError(f"Unknown stem {stem!r}. Choose one of {sorted(STEMS)}.")
        stem_cls, channels = STEMS[stem]
        self.stem = stem_cls()
        self.backbone = timm.create_model(backbone, pretrained=False, num_classes=0, in_chans=channels)
        if not isinstance(self.backbone, EfficientNet | MobileNetV3):
            raise ValueError(f"Pooled levels need an EfficientNet or MobileNetV3 backbone, not {backbone!r}.")
        self.levels = tuple(sorted(set(levels)))
        if not self.levels or not all(0 <= i < len(self.backbone.blocks) for i in self.levels):
            raise ValueError(f"Levels {list(levels)} must index {backbone}'s {len(self.backbone.blocks)} blocks.")
        # EfficientNet applies its 1x1 head convolution before pooling (in forward_features), MobileNetV3 after.
        self._head_conv_first = isinstance(self.backbone, EfficientNet)
        with torch.no_grad():
            width = self.features(torch.zeros(1, 3, 64, 64)).shape[1]
        self.head = nn.Linear(width, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled outputs of the chosen blocks and the pooled last features, concatenated: (N, F)."""
        net = self.backbone
        x = net.bn1(net.conv_stem(self.stem(x)))
        pooled = []
        for index, block in enumerate(net.blocks):
            x = block(x)
            if index in self.levels:
                pooled.append(x.mean((2, 3)))
        if self._head_conv_first:
            x = net.bn2(net.conv_head(x))
        pooled.append(net.forward_head(x, pre_logits=True))
        return torch.cat(pooled, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def build_model(
    backbone: str = DEFAULT_BACKBONE, stem: str = DEFAULT_STEM, levels: Sequence[int] = (), **timm_kwargs
) -> nn.Module:
    """A randomly initialised `ForensicClassifier` (``timm.create_model(..., pretrained=False)``), or a
    `PooledLevelsClassifier` when ``levels`` names blocks whose pooled outputs the head also reads."""
    if levels:
        return PooledLevelsClassifier(backbone, stem, levels)
    return ForensicClassifier(backbone, stem, **timm_kwargs)


def read_weights_metadata(weights) -> dict[str, str]:
    """The metadata a ``model.safetensors`` file records (backbone, stem, levels, ensemble), without its tensors."""
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt") as handle:
        return handle.metadata() or {}


def levels_from_metadata(metadata: dict) -> tuple[int, ...]:
    """The ``levels`` recorded in a weights file's metadata ("2,3,4"), or () for a plain classifier."""
    text = metadata.get(LEVELS_KEY, "")
    return tuple(int(part) for part in text.split(",") if part.strip())


#: safetensors metadata key of a `PooledLevelsClassifier`'s block indices (comma-separated).
LEVELS_KEY = "levels"
#: safetensors metadata key of an ensemble's file: its members' (backbone, stem), as JSON.
ENSEMBLE_KEY = "ensemble"


class LogitEnsemble(nn.Module):
    """Crops (N, 3, H, W) -> ``bias + sum_i coefs[i] * members[i](crops)``, shape (N,)."""

    def __init__(self, members: Sequence[nn.Module], coefs: Sequence[float], bias: float = 0.0) -> None:
        super().__init__()
        if len(members) != len(coefs) or not members:
            raise ValueError(f"An ensemble needs one coefficient per member; got {len(members)} and {len(coefs)}.")
        self.members = nn.ModuleList(members)
        self.register_buffer("coefs", torch.tensor([float(c) for c in coefs]))
        self.register_buffer("bias", torch.tensor(float(bias)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bias + self.coefs[0] * self.members[0](x)
        for index in range(1, len(self.members)):
            out = out + self.coefs[index] * self.members[index](x)
        return out


def load_trained(weights, backbone: str | None = None, stem: str | None = None) -> nn.Module:
    """A trained network in eval mode from a ``model.safetensors`` file: a `ForensicClassifier`, or a
    `LogitEnsemble` when the file's metadata says so (`veracity.detector.training.ensemble`).

    ``backbone`` and ``stem`` default to those recorded in the file's metadata (files written before the stem
    was recorded hold the NPR stem).
    """
    import json

    from safetensors.torch import load_file

    metadata = read_weights_metadata(weights)
    if ENSEMBLE_KEY in metadata:
        specs = json.loads(metadata[ENSEMBLE_KEY])
        model = LogitEnsemble([build_model(spec["backbone"], spec["stem"]) for spec in specs], [1.0] * len(specs))
    else:
        backbone = backbone or metadata.get("backbone", DEFAULT_BACKBONE)
        model = build_model(backbone, stem or metadata.get("stem", DEFAULT_STEM), levels_from_metadata(metadata))
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def bce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on logits; ``labels`` 1 = generated."""
    return F.binary_cross_entropy_with_logits(logits, labels.float())

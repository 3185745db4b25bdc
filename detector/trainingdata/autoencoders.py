"""Small convolutional autoencoders trained here to make "aligned" generated images.

A real photo passed through an autoencoder keeps its content; what changes is the decoder's trace (its
upsampling and its final convolutions), the same kind of trace a latent-diffusion decoder leaves. Training
the detector on (real, reconstruction) pairs teaches it that trace instead of content, size or format
(Rajan et al., ICLR 2025, "Aligned datasets improve detection of latent diffusion-generated images").
Each `AutoencoderSpec` describes one decoder family; several of them give the detector more than one trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn


@dataclass(frozen=True)
class AutoencoderSpec:
    """One autoencoder family.

    Attributes:
        name: the generator name the fakes are filed under, e.g. ``"ae-nearest-f4"``.
        factor: total down/upsampling factor (a power of two; each stage is 2x).
        latent_channels: channels of the bottleneck.
        upsample: ``"nearest"``, ``"bilinear"``, ``"transposed"`` or ``"shuffle"`` (sub-pixel convolution):
            how each decoder stage doubles the size.
        width: channels of the first encoder stage (doubled per stage, at most 4x).
        encoder: ``"conv"`` (learned stride-2 convolutions, an autoencoder) or ``"pool"`` (the latent is the
            photo average-pooled by ``factor``: the decoder is then a learned upsampler, which learns fast and
            keeps the content sharp).
    """

    name: str
    factor: int
    latent_channels: int
    upsample: str
    width: int = 16
    encoder: str = "conv"


#: The decoder families used for the shipped model's training data.
DEFAULT_SPECS: tuple[AutoencoderSpec, ...] = (
    AutoencoderSpec("up-nearest-f2", factor=2, latent_channels=3, upsample="nearest", encoder="pool"),
    AutoencoderSpec("up-transposed-f2", factor=2, latent_channels=3, upsample="transposed", encoder="pool"),
)

#: Learned-encoder autoencoders, closer to a latent-diffusion VAE but left out of the shipped model: after
#: the 750 steps this machine could afford (2 min on 2 shared cores) their reconstructions still had wrong
#: colours (mean absolute error 32 levels), i.e. they were not aligned with the real photos, and each costs
#: about 2.5 s per 0.6-1 MP region to run. They need far longer training (e.g. on a GPU) to be useful.
#: ``up-bilinear-f4`` was left out for time too (and a 4x upsampler's output is blurrier than its photo, which
#: teaches "blur means generated").
#: ``up-bilinear-f2`` and ``up-shuffle-f2`` were tried with the default two (MODEL_CARD.md, "v2 candidate"):
#: no better on real generators, so the shipped data keeps two families.
EXTRA_SPECS: tuple[AutoencoderSpec, ...] = (
    AutoencoderSpec("up-bilinear-f2", factor=2, latent_channels=3, upsample="bilinear", encoder="pool"),
    AutoencoderSpec("up-shuffle-f2", factor=2, latent_channels=3, upsample="shuffle", encoder="pool"),
    AutoencoderSpec("ae-nearest-f4", factor=4, latent_channels=8, upsample="nearest"),
    AutoencoderSpec("ae-transposed-f4", factor=4, latent_channels=8, upsample="transposed"),
    AutoencoderSpec("up-bilinear-f4", factor=4, latent_channels=3, upsample="bilinear", encoder="pool"),
)

SPECS_BY_NAME = {spec.name: spec for spec in DEFAULT_SPECS + EXTRA_SPECS}


def _block(channels_in: int, channels_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, padding=1),
        nn.GroupNorm(8, channels_out),
        nn.SiLU(),
    )


class ConvAutoencoder(nn.Module):
    """Encoder of stride-2 convolutions, decoder of 2x upsampling stages, like a (tiny) latent-diffusion VAE."""

    def __init__(self, spec: AutoencoderSpec) -> None:
        super().__init__()
        stages = spec.factor.bit_length() - 1
        if 2**stages != spec.factor or stages < 1:
            raise ValueError(f"AutoencoderSpec.factor must be a power of two >= 2. Got {spec.factor} instead.")
        widths = [min(spec.width * 2**i, spec.width * 4) for i in range(stages + 1)]
        if spec.encoder == "pool":
            if spec.latent_channels != 3:
                raise ValueError(f"A pooling encoder keeps RGB: latent_channels must be 3. Got {spec.latent_channels}.")
            self.encoder: nn.Module = nn.AvgPool2d(spec.factor)
        elif spec.encoder != "conv":
            raise ValueError(f"AutoencoderSpec.encoder must be 'conv' or 'pool'. Got {spec.encoder!r} instead.")
        encoder: list[nn.Module] = [_block(3, widths[0])]
        for i in range(stages):
            encoder += [
                nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1),
                nn.SiLU(),
                _block(widths[i + 1], widths[i + 1]),
            ]
        encoder.append(nn.Conv2d(widths[-1], spec.latent_channels, 1))
        if spec.encoder == "conv":
            self.encoder = nn.Sequential(*encoder)
        decoder: list[nn.Module] = [nn.Conv2d(spec.latent_channels, widths[-1], 3, padding=1), nn.SiLU()]
        for i in reversed(range(stages)):
            if spec.upsample == "transposed":
                decoder.append(nn.ConvTranspose2d(widths[i + 1], widths[i], 4, stride=2, padding=1))
            elif spec.upsample == "shuffle":  # sub-pixel convolution: 4x the channels, then a 2x2 rearrangement
                decoder += [nn.Conv2d(widths[i + 1], 4 * widths[i], 3, padding=1), nn.PixelShuffle(2)]
            else:
                decoder += [
                    nn.Upsample(scale_factor=2, mode=spec.upsample),
                    nn.Conv2d(widths[i + 1], widths[i], 3, padding=1),
                ]
            decoder += [nn.SiLU(), _block(widths[i], widths[i])]
        decoder.append(nn.Conv2d(widths[0], 3, 3, padding=1))
        self.decoder = nn.Sequential(*decoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x`` (N, 3, H, W) in [0, 1]; H and W must be multiples of the factor."""
        return torch.sigmoid(self.decoder(self.encoder(x)))


@torch.no_grad()
def reconstruct(model: nn.Module, image: Image.Image) -> Image.Image:
    """Pass a whole 8-bit RGB image through an image-to-image ``model`` working in [0, 1]; returns 8-bit RGB."""
    x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    out = model(x)[0].permute(1, 2, 0).numpy()
    return Image.fromarray((out * 255.0 + 0.5).clip(0, 255).astype(np.uint8))

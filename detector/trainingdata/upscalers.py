"""Pretrained super-resolution networks as extra decoder families for the aligned training data.

The decoders trained here for a few minutes (`detector.trainingdata.autoencoders`) give smooth, L1-trained traces. The
UpscalerJS packages on npm ship RDN and RRDN upsamplers trained on DIV2K photos, one of them adversarially
(ESRGAN-style): real learned decoders with nearest-neighbour or sub-pixel upsampling stages, which is the
decoder side of a latent-diffusion model. A real region downscaled by the network's factor and upscaled by
it keeps its content; what it gains is the network's trace.

Fetch them once (npm is a package registry, not a model hub; nothing is downloaded at run time)::

    npm pack @upscalerjs/esrgan-medium@1.0.0 @upscalerjs/esrgan-legacy@1.0.0 @upscalerjs/esrgan-thick@1.0.0
    for p in medium legacy thick; do
        mkdir -p UPSCALERS/esrgan-$p
        tar xzf upscalerjs-esrgan-$p-1.0.0.tgz -C UPSCALERS/esrgan-$p --strip-components 1
    done

The three packages are MIT-licensed (Kevin Scott). The networks' layer names are those of idealo's
``image-super-resolution`` RDN/RRDN (Apache-2.0), from which the ``esrgan-legacy`` weights appear to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from veracity.detector.trainingdata.autoencoders import reconstruct


@dataclass(frozen=True)
class UpscalerFamily:
    """One pretrained upsampler: where it lies in its npm package and by how much it upscales."""

    name: str
    package: str
    model: str
    factor: int
    training: str

    def model_json(self, root: Path) -> Path:
        return Path(root) / self.package / self.model / "model.json"


#: The families tried for the aligned data. x2 keeps the photo's detail; the x4 networks show stronger traces,
#: including the adversarially trained one's hallucinated texture. None is in the shipped model's data: they
#: did not move its wild-dev figures (MODEL_CARD.md, "pretrained super-resolution decoders").
UPSCALER_FAMILIES: tuple[UpscalerFamily, ...] = (
    UpscalerFamily("sr-rdn-medium-x2", "esrgan-medium", "models/x2", 2, "RDN, nearest upsampling, DIV2K"),
    UpscalerFamily("sr-rdn-div2k-x2", "esrgan-legacy", "models/div2k/x2", 2, "RDN, nearest upsampling, DIV2K"),
    UpscalerFamily("sr-rrdn-thick-x4", "esrgan-thick", "models/x4", 4, "RRDN, sub-pixel upsampling, DIV2K"),
    UpscalerFamily("sr-rrdn-gans-x4", "esrgan-legacy", "models/gans", 4, "RRDN, sub-pixel, adversarial, DIV2K"),
)

FAMILIES_BY_NAME = {family.name: family for family in UPSCALER_FAMILIES}


def load_upscaler(family: UpscalerFamily, root: Path) -> torch.nn.Module:
    """The family's network, read from the extracted package under ``root``."""
    from veracity.detector.trainingdata.tfjs_layers import TfjsLayersModel

    path = family.model_json(root)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: fetch @upscalerjs/{family.package} (see veracity.detector.trainingdata.upscalers)"
        )
    return TfjsLayersModel(path).eval()


def reupscale(model: torch.nn.Module, region: Image.Image, factor: int) -> Image.Image:
    """``region`` downscaled by ``factor`` (bicubic, as the networks were trained) and upscaled by ``model``.

    The result has the region's size whenever its sides are multiples of ``factor``.
    """
    width, height = region.size
    small = region.convert("RGB").resize((width // factor, height // factor), Image.Resampling.BICUBIC)
    return reconstruct(model, small)

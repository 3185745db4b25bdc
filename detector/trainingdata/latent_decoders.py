"""Aligned fakes from a real latent decoder: photos encoded and decoded by a tiny autoencoder (TAESD family).

madebyollin/taesd (MIT licence, Copyright (c) 2023 Ollin Boer Bohan) publishes tiny autoencoders distilled
from the VAEs of latent diffusion models. ``taef2_encoder.pth`` and ``taef2_decoder.pth`` mimic the FLUX.2
VAE (32 latent channels, 8x downsampling, group-norm mid blocks). A real photo encoded and decoded by it keeps
its content, size and (here) format while its pixels are re-synthesised by a latent decoder, three nearest
2x upsamplings and convolutions as in a real diffusion decoder: an aligned fake (Rajan et al., ICLR 2025).

The module rebuilds the published architecture (the repository's ``taesd.py``, same layer layout, so its
state dicts load) and writes, for every real image of a dataset, one reconstructed region: ``fake/taef2/…``
with a ``manifest.csv`` whose ``group`` and ``source`` are the real image's, so grouped splits keep a photo
and its reconstruction together. A JPEG photo's reconstruction is saved as JPEG with the photo's own
quantisation tables, so both carry the same compression and the format says nothing.

Fetch the weights once (a snapshot of github.com/madebyollin/taesd), then::

    python -m veracity.detector.trainingdata.latent_decoders --weights TAESD_DIR --data CORPUS --out DIR
"""

from __future__ import annotations

import argparse
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image, JpegImagePlugin
from torch import nn

from veracity.detector.datasets.layouts import write_dataset_manifest
from veracity.detector.datasets.splits import grouped_samples
from veracity.provenance.assets.asset import decode_pixels
from veracity.provenance.errors import ProvenanceError

#: Family name -> (encoder file, decoder file, latent channels, group-norm mid blocks).
FAMILIES: dict[str, tuple[str, str, int, bool]] = {
    "taef2": ("taef2_encoder.pth", "taef2_decoder.pth", 32, True),
}
LICENCE = "MIT (madebyollin/taesd); reconstructions of the real image named in the same row's group"


def _conv(n_in: int, n_out: int, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class _Clamp(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x / 3) * 3


class _Block(nn.Module):
    def __init__(self, n_in: int, n_out: int, use_midblock_gn: bool = False) -> None:
        super().__init__()
        self.conv = nn.Sequential(_conv(n_in, n_out), nn.ReLU(), _conv(n_out, n_out), nn.ReLU(), _conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()
        self.pool = None
        if use_midblock_gn:
            n_gn = n_in * 4
            self.pool = nn.Sequential(
                nn.Conv2d(n_in, n_gn, 1, bias=False), nn.GroupNorm(4, n_gn), nn.ReLU(inplace=True),
                nn.Conv2d(n_gn, n_in, 1, bias=False),
            )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = x + self.pool(x)
        return self.fuse(self.conv(x) + self.skip(x))


def encoder(latent_channels: int, use_midblock_gn: bool) -> nn.Sequential:
    """TAESD's encoder (8x downsampling), layer for layer."""
    gn = {"use_midblock_gn": use_midblock_gn}
    return nn.Sequential(
        _conv(3, 64), _Block(64, 64),
        _conv(64, 64, stride=2, bias=False), _Block(64, 64), _Block(64, 64), _Block(64, 64),
        _conv(64, 64, stride=2, bias=False), _Block(64, 64), _Block(64, 64), _Block(64, 64),
        _conv(64, 64, stride=2, bias=False), _Block(64, 64, **gn), _Block(64, 64, **gn), _Block(64, 64, **gn),
        _conv(64, latent_channels),
    )  # fmt: skip


def decoder(latent_channels: int, use_midblock_gn: bool) -> nn.Sequential:
    """TAESD's decoder (three nearest 2x upsamplings), layer for layer."""
    gn = {"use_midblock_gn": use_midblock_gn}
    return nn.Sequential(
        _Clamp(), _conv(latent_channels, 64), nn.ReLU(),
        _Block(64, 64, **gn), _Block(64, 64, **gn), _Block(64, 64, **gn), nn.Upsample(scale_factor=2),
        _conv(64, 64, bias=False),
        _Block(64, 64), _Block(64, 64), _Block(64, 64), nn.Upsample(scale_factor=2), _conv(64, 64, bias=False),
        _Block(64, 64), _Block(64, 64), _Block(64, 64), nn.Upsample(scale_factor=2), _conv(64, 64, bias=False),
        _Block(64, 64), _conv(64, 3),
    )  # fmt: skip


def load_autoencoder(family: str, weights_dir: str | Path) -> tuple[nn.Module, nn.Module]:
    """(encoder, decoder) of ``family`` in eval mode, from the ``.pth`` files in ``weights_dir``.

    Raises:
        FileNotFoundError: a weights file is missing (the message says where to get it).
    """
    enc_file, dec_file, channels, gn = FAMILIES[family]
    parts = []
    for name, build in ((enc_file, encoder), (dec_file, decoder)):
        path = Path(weights_dir) / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing. Copy {name} from a snapshot of github.com/madebyollin/taesd into {weights_dir}."
            )
        module = build(channels, gn)
        module.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        parts.append(module.eval())
    return parts[0], parts[1]


@torch.no_grad()
def reconstruct(enc: nn.Module, dec: nn.Module, region: Image.Image) -> Image.Image:
    """``region`` (sides multiples of 8) encoded and decoded, quantised to 8-bit RGB."""
    x = torch.from_numpy(np.asarray(region.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    y = dec(enc(x)).clamp(0, 1)[0].permute(1, 2, 0).numpy()
    return Image.fromarray((y * 255.0 + 0.5).astype(np.uint8))


def _region_box(width: int, height: int, side: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    w, h = min(side, width) // 8 * 8, min(side, height) // 8 * 8
    x = int(rng.integers(0, width - w + 1)) // 8 * 8
    y = int(rng.integers(0, height - h + 1)) // 8 * 8
    return x, y, x + w, y + h


def _save_like(fake: Image.Image, original: str, target: Path) -> Path:
    """Save ``fake`` as the original was stored: JPEG with its quantisation tables, else PNG."""
    with Image.open(original) as source:
        tables = getattr(source, "quantization", None) if source.format == "JPEG" else None
        if tables:
            target = target.with_suffix(".jpg")
            subsampling = max(0, JpegImagePlugin.get_sampling(source))  # -1: unknown layout, keep full chroma
            fake.save(target, format="JPEG", qtables=tables, subsampling=subsampling)
            return target
    target = target.with_suffix(".png")
    fake.save(target, format="PNG")
    return target


def build(
    data: str,
    out: Path,
    weights_dir: Path,
    *,
    family: str = "taef2",
    side: int = 256,
    per_source: int | None = None,
    seed: int = 0,
) -> Path:
    """Write one reconstruction per real image of ``data`` under ``out`` and return the manifest path.

    ``per_source`` caps the images taken from one source (the first ones in path order). Files already
    written are kept (a build resumes); the manifest is rewritten at the end.
    """
    enc, dec = load_autoencoder(family, weights_dir)
    reals = [s for s in grouped_samples([data]) if s.label == 0]
    if per_source:
        taken: Counter = Counter()
        reals = [s for s in reals if (taken.update([s.source]) or taken[s.source] <= per_source)]
    folder = out / "fake" / family
    folder.mkdir(parents=True, exist_ok=True)
    rows, started = [], time.monotonic()
    for index, sample in enumerate(reals):
        try:
            image = decode_pixels(sample.path)
        except ProvenanceError as exc:  # a file gone or unreadable: say so and go on with the others
            print(f"  skipped {sample.relpath}: {exc}", flush=True)
            continue
        # One generator per image, seeded by its path: the region does not depend on which other images exist.
        rng = np.random.default_rng([seed, zlib.crc32(sample.relpath.encode())])
        box = _region_box(image.width, image.height, side, rng)
        stem = Path(sample.relpath).stem
        done = sorted(folder.glob(f"{stem}.*"))
        target = done[0] if done else _save_like(reconstruct(enc, dec, image.crop(box)), sample.path, folder / stem)
        group = sample.meta.get("group") or sample.group or ""
        rows.append({"file": target.relative_to(out).as_posix(), "label": "fake", "generator": family,
                     "source": sample.source or "", "group": group, "original_path": sample.relpath,
                     "crop_box": ",".join(map(str, box)), "licence": LICENCE})  # fmt: skip
        if (index + 1) % 50 == 0:
            print(f"  {family}: {index + 1}/{len(reals)} in {time.monotonic() - started:.0f} s", flush=True)
    return write_dataset_manifest(out, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, required=True, help="folder holding the TAESD .pth files")
    parser.add_argument("--data", required=True, help="dataset whose real images are reconstructed")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--family", default="taef2", choices=sorted(FAMILIES))
    parser.add_argument("--side", type=int, default=256, help="largest side of the reconstructed region")
    parser.add_argument("--per-source", type=int, default=None, help="at most this many images per source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    options = {"family": args.family, "side": args.side, "per_source": args.per_source, "seed": args.seed}
    print(build(args.data, args.out, args.weights, **options))


if __name__ == "__main__":
    main()

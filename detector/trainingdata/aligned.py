"""Build the shipped model's training set reproducibly: real photos from Debian packages and aligned fakes.

Run ``python -m veracity.detector.trainingdata.aligned --out DIR`` after installing the packages named in
`PHOTO_SOURCES` (``apt-get install lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds
plasma-workspace-wallpapers``). It writes ``DIR/real/*.png``, ``DIR/fake/<autoencoder>/*.png`` and
``DIR/manifest.csv`` (columns ``file,label,generator_or_source,group,source,license``). ``group`` names the
source photo: a real region and its reconstructions share it, so grouped validation never splits a pair.

Each photo gives a few regions (native resolution, and downscaled by 2 so that its JPEG grid is gone);
each region is saved as PNG and passed through every autoencoder of `DEFAULT_SPECS`, trained here for a few
minutes on patches of the same photos. Real and fake files therefore share content, size and format.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from veracity.detector.datasets.layouts import write_dataset_manifest
from veracity.detector.trainingdata.autoencoders import (
    DEFAULT_SPECS,
    SPECS_BY_NAME,
    AutoencoderSpec,
    ConvAutoencoder,
    reconstruct,
)
from veracity.detector.trainingdata.upscalers import FAMILIES_BY_NAME, load_upscaler, reupscale

#: (Debian package, file, licence as stated in the package's copyright file). Photographs only: the
#: packages' renders, vector art and abstract wallpapers are left out on purpose.
PHOTO_SOURCES: tuple[tuple[str, str, str], ...] = tuple(
    (package, path, licence)
    for package, licence, paths in (
        (
            "plasma-workspace-wallpapers",
            "GPL-2+ (Debian copyright file of the package, Files: *)",
            [
                f"/usr/share/wallpapers/{name}/contents/images/2560x1600.jpg"
                for name in (
                    "BytheWater",
                    "ColdRipple",
                    "ColorfulCups",
                    "DarkestHour",
                    "EveningGlow",
                    "FallenLeaf",
                    "Grey",
                    "Kite",
                    "OneStandsOut",
                    "Path",
                    "summer_1am",
                )
            ],
        ),
        (
            "lomiri-wallpapers-16.04",
            "CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0 per file (Debian copyright file of the package)",
            [
                f"/usr/share/backgrounds/{name}.jpg"
                for name in (
                    "Bridge_by_Sander_Klootwijk",
                    "Dragonfly_by_Bolly",
                    "Picture_0B_by_freespace",
                    "Picture_1A_by_freespace",
                    "Wine_by_Jakkub_Mede",
                    "aitzgorri_by_Aitzol_Berasategi",
                    "free_by_Peter_Nerlich",
                    "friends_by_Aitzol_Berasategi",
                    "life_by_Aitzol_Berasategi",
                    "picosdeeuropa_by_Aitzol_Berasategi",
                    "seeding_by_Clements_Engelhardt",
                    "sunset_by_Aitzol_Berasategi",
                )
            ],
        ),
        (
            "lomiri-wallpapers-20.04",
            "CC-BY-SA-3.0 (Debian copyright file of the package)",
            [
                "/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
                "/usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg",
            ],
        ),
        (
            "mate-backgrounds",
            "GPL-2+ (Debian copyright file of the package)",
            [
                f"/usr/share/backgrounds/mate/nature/{name}.jpg"
                for name in (
                    "Aqua",
                    "Blinds",
                    "Dune",
                    "FreshFlower",
                    "Garden",
                    "GreenMeadow",
                    "LadyBird",
                    "RainDrops",
                    "Storm",
                    "TwoWings",
                    "Wood",
                    "YellowFlower",
                )
            ],
        ),
    )
    for path in paths
)


def _regions(image: Image.Image, rng: random.Random, native: int, per_photo: int) -> list[tuple[str, Image.Image]]:
    """Native-resolution crops plus one crop of the photo downscaled by 2 (multiples of 8 so every AE fits)."""
    out: list[tuple[str, Image.Image]] = []
    for index in range(per_photo):
        w, h = image.size
        cw, ch = min(native, w) // 8 * 8, min(native, h) // 8 * 8
        x, y = rng.randrange(0, w - cw + 1), rng.randrange(0, h - ch + 1)
        out.append((f"native{index}", image.crop((x, y, x + cw, y + ch))))
    half = image.reduce(2)
    w, h = half.size
    cw, ch = min(2 * native // 1.5, w) // 8 * 8, min(2 * native // 1.5, h) // 8 * 8
    cw, ch = int(cw), int(ch)
    x, y = rng.randrange(0, w - cw + 1), rng.randrange(0, h - ch + 1)
    out.append(("half", half.crop((x, y, x + cw, y + ch))))
    return out


def train_autoencoder(
    spec: AutoencoderSpec, images: list[Image.Image], *, steps: int, seed: int, patch: int = 64
) -> ConvAutoencoder:
    """Train one autoencoder on ``steps`` batches of 16 random patches of ``images`` (Adam, L1 loss)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(image) for image in images]
    model = ConvAutoencoder(spec)
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    started, step = time.monotonic(), 0
    while step < steps:
        batch = []
        for _ in range(16):
            array = arrays[rng.integers(len(arrays))]
            y, x = rng.integers(0, array.shape[0] - patch + 1), rng.integers(0, array.shape[1] - patch + 1)
            batch.append(array[y : y + patch, x : x + patch])
        x_batch = torch.from_numpy(np.stack(batch).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
        loss = (model(x_batch) - x_batch).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        if step % 200 == 0:
            print(f"  {spec.name}: step {step}, L1 {loss.item():.4f}", flush=True)
    print(f"  {spec.name}: {step} steps in {time.monotonic() - started:.0f} s, last L1 {loss.item():.4f}", flush=True)
    return model.eval()


def _twin_rows(regions, real_rows: list[dict[str, str]], family: str, made_with: str = "") -> list[dict[str, str]]:
    """One generated row per real region, filed under ``fake/<family>/`` in its region's group."""
    return [
        dict(
            real_row,
            file=f"fake/{family}/{name}",
            label="fake",
            generator_or_source=family,
            license=f"made here from {real_row['source']}{made_with}",
        )
        for (name, _), real_row in zip(regions, real_rows, strict=True)
    ]


def build(
    out: Path,
    *,
    seed: int = 0,
    native: int = 768,
    per_photo: int = 2,
    ae_steps: int = 750,
    specs: tuple[AutoencoderSpec, ...] = DEFAULT_SPECS,
    camera_sim: bool = False,
    upscalers: tuple[str, ...] = (),
    upscalers_root: Path | None = None,
) -> Path:
    """Write the dataset under ``out`` and return the manifest path.

    A family whose folder already holds every reconstruction is not trained again (a build can be resumed
    or extended with more ``specs``; reals are re-derived identically from ``seed``). ``upscalers`` names
    pretrained families of `detector.trainingdata.upscalers`, read from the npm packages extracted under
    ``upscalers_root``.
    """
    rng = random.Random(seed)
    (out / "real").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    regions: list[tuple[str, Image.Image]] = []
    for package, path, licence in PHOTO_SOURCES:
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(f"Photo source {source} is missing. Install it with: apt-get install {package}")
        photo = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
        # KDE names every file after its size, so its photo's name is the folder 3 levels up.
        stem = source.parents[2].name if package == "plasma-workspace-wallpapers" else source.stem
        group = f"{package}:{stem}"
        for suffix, region in _regions(photo, rng, native, per_photo):
            name = f"{stem}__{suffix}.png"
            region.save(out / "real" / name)
            regions.append((name, region))
            rows.append(
                dict(
                    file=f"real/{name}",
                    label="real",
                    generator_or_source=package,
                    group=group,
                    source=f"{package}:{path}",
                    license=licence,
                )
            )
    print(f"{len(regions)} real regions from {len(PHOTO_SOURCES)} photos", flush=True)
    real_rows = list(rows)
    for spec in specs:
        folder = out / "fake" / spec.name
        if not all((folder / name).is_file() for name, _ in regions):
            # Upsamplers (pooling encoders) converge much faster than autoencoders: fewer steps are enough.
            steps = ae_steps if spec.encoder == "conv" else ae_steps * 2 // 3
            index = list(SPECS_BY_NAME).index(spec.name)
            model = train_autoencoder(spec, [region for _, region in regions], steps=steps, seed=seed + index)
            folder.mkdir(parents=True, exist_ok=True)
            for name, region in regions:
                reconstruct(model, region).save(folder / name)
        rows += _twin_rows(regions, real_rows, spec.name)
    for family_name in upscalers:
        family = FAMILIES_BY_NAME[family_name]
        folder = out / "fake" / family.name
        if not all((folder / name).is_file() for name, _ in regions):
            model = load_upscaler(family, upscalers_root or Path("."))
            folder.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            for name, region in regions:
                reupscale(model, region, family.factor).save(folder / name)
            print(f"  {family.name}: {len(regions)} regions in {time.monotonic() - started:.0f} s", flush=True)
        rows += _twin_rows(regions, real_rows, family.name, f" with @upscalerjs/{family.package} (MIT)")
    if (
        camera_sim
    ):  # extra reals: each region re-captured through a simulated sensor (veracity.detector.trainingdata.camera_sim)
        from veracity.detector.trainingdata.camera_sim import simulate_camera

        sim_rng = np.random.default_rng(seed)
        for (name, region), real_row in zip(regions, real_rows, strict=True):
            camera_name = name.replace(".png", "__camera.png")
            simulate_camera(region, sim_rng).save(out / "real" / camera_name)
            rows.append(
                dict(
                    real_row,
                    file=f"real/{camera_name}",
                    generator_or_source=f"camera-sim:{real_row['generator_or_source']}",
                )
            )
    return write_dataset_manifest(out, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ae-steps", type=int, default=750, help="training steps per autoencoder")
    parser.add_argument("--specs", default=",".join(s.name for s in DEFAULT_SPECS), help="decoder families")
    parser.add_argument("--per-photo", type=int, default=2, help="native-resolution regions per photo")
    parser.add_argument("--camera-sim", action="store_true", help="add each real region re-captured by a sensor")
    parser.add_argument("--upscalers", default="", help=f"pretrained families: {','.join(FAMILIES_BY_NAME)}")
    parser.add_argument("--upscalers-root", type=Path, help="folder of extracted @upscalerjs packages")
    args = parser.parse_args()
    specs = tuple(SPECS_BY_NAME[name] for name in args.specs.split(","))
    upscalers = tuple(name for name in args.upscalers.split(",") if name)
    unknown = [name for name in upscalers if name not in FAMILIES_BY_NAME]
    if unknown:
        parser.error(f"unknown upscaler families {unknown}; choose from {sorted(FAMILIES_BY_NAME)}")
    options = dict(seed=args.seed, ae_steps=args.ae_steps, per_photo=args.per_photo, camera_sim=args.camera_sim)
    options.update(upscalers=upscalers, upscalers_root=args.upscalers_root)
    print(build(args.out, specs=specs, **options))


if __name__ == "__main__":
    main()

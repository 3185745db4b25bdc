"""Training crops per second: decoding images at every draw versus the crop bank (decode once, then windows).

    python -m veracity.benchmarks.perf.train_data_speed --data CORPUS --images 120 --crops 600

Both paths produce the same kind of crop (the random processing of `veracity.detector.training.augment`,
128 px, one thread). The "decode" path is what training did before the bank: decode the drawn image with
the project's decoder and cut two crops from it (no image cache, as on a corpus larger than memory). The
"bank" path pays the bank's build once (reported apart) and then only processes windows.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from veracity.detector.datasets.splits import grouped_samples
from veracity.detector.training.augment import AugmentCfg, augment, process_window
from veracity.detector.training.cropbank import BankCfg, build_crop_bank
from veracity.provenance.assets.asset import decode_pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a labelled dataset (any layout the harness reads)")
    parser.add_argument("--images", type=int, default=120, help="images drawn from it (evenly spaced)")
    parser.add_argument("--crops", type=int, default=600, help="crops timed on each path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    samples = grouped_samples([args.data])
    step = max(1, len(samples) // args.images)
    samples = samples[::step][: args.images]
    cfg = AugmentCfg(crop=128)
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    made = 0
    while made < args.crops:
        image = decode_pixels(samples[int(rng.integers(len(samples)))].path)
        for _ in range(2):
            augment(image, cfg, rng)
            made += 1
    decode_rate = made / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        bank = build_crop_bank(samples, cache, BankCfg(), log=lambda _: None)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(args.crops):
            process_window(bank.window(int(rng.integers(len(bank.owner)))), cfg, rng)
        bank_rate = args.crops / (time.perf_counter() - started)
        n_windows = len(bank.owner)
    print(
        f"{len(samples)} images, {args.crops} crops of 128 px each path, one thread:\n"
        f"  decode at every draw (2 crops per decode): {decode_rate:7.1f} crops/s\n"
        f"  crop bank: {bank_rate:7.1f} crops/s ({bank_rate / decode_rate:.1f}x), after a one-off build of "
        f"{build_s:.1f} s ({n_windows} windows, {build_s / len(samples) * 1000:.0f} ms per image)"
    )


if __name__ == "__main__":
    main()

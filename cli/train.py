"""``veracity train``: train the forensic classifier on labelled image folders (needs ``veracity[train]``)."""

from __future__ import annotations

import importlib.util
import json

import click

from veracity.cli.errors import library_errors


@click.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--layout",
    default="auto",
    show_default=True,
    help="How DATA is laid out: auto (detect each folder's), manifest, forensynths, genimage or real-fake.",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder (checkpoints, metrics).")
@click.option("--epochs", default=10, show_default=True, help="Epochs of --steps-per-epoch optimiser steps.")
@click.option("--steps-per-epoch", default=200, show_default=True)
@click.option("--batch-size", default=64, show_default=True, help="Crops per step, half real, half generated.")
@click.option("--crop", default=128, show_default=True, help="Side of the native-resolution training crops.")
@click.option("--backbone", default="mobilenetv3_small_100", show_default=True, help="timm model name.")
@click.option(
    "--stem",
    type=click.Choice(["npr", "rgb", "npr+rgb"]),
    default="npr",
    show_default=True,
    help="Fixed first stage: NPR residual, centred pixels, or both.",
)
@click.option(
    "--init",
    "init_weights",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Start from these weights (a model.safetensors of the same backbone and stem, e.g. an ImageNet start "
    "written by python -m veracity.detector.training.pretrained) instead of a random initialisation.",
)
@click.option("--lr", default=2e-3, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto (CUDA when present), cpu or cuda.")
@click.option("--max-minutes", type=float, default=None, help="Stop after the epoch that passes this wall time.")
@click.option("--resume/--no-resume", default=True, show_default=True, help="Continue from OUT/last.pt if present.")
@click.option("--package", "package_dir", type=click.Path(file_okay=False), help="Also write a detector folder here.")
@click.option("--calibrate-on", type=click.Path(exists=True), help="Dataset to calibrate on (same --layout).")
@click.option("--target-fpr", default=0.05, show_default=True, help="FPR on real photos the threshold is set for.")
@click.option("--n-tiles", default=16, show_default=True, help="Tiles scored per image by the packaged detector.")
@click.option("--threads", type=int, default=None, help="torch CPU threads (1 is fastest on a busy 2-core box).")
@click.option("--name", default="npr_mnv3s.custom", show_default=True, help="Registry name of the packaged detector.")
@click.option(
    "--bank-cache",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for crop banks (images decoded once); default OUT/banks. Runs on the same data share one.",
)
def train(data, layout, out, epochs, steps_per_epoch, batch_size, crop, backbone, stem, init_weights, lr, seed, device,
          max_minutes, resume, package_dir, calibrate_on, target_fpr, n_tiles, threads, name, bank_cache):  # fmt: skip
    """Train on DATA: folders (or manifest files) in any layout the benchmark harness reads.

    Layouts: a manifest (CSV/JSONL with path|file and label), ForenSynths (0_real/1_fake), GenImage
    (train|val/nature|ai) or real/ and fake/<generator>/. Validation holds out whole source groups;
    metrics go to OUT/metrics.jsonl each epoch; a killed run resumes from OUT/last.pt. With --package the
    trained model is exported to ONNX with its config, and with --calibrate-on its probabilities,
    threshold and bands are fitted on that dataset.
    """
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("timm") is None:
        raise click.ClickException("veracity train needs torch and timm: pip install 'veracity[train]'")
    import torch

    from veracity.detector.datasets.splits import grouped_samples
    from veracity.detector.training.augment import AugmentCfg
    from veracity.detector.training.train import TrainCfg
    from veracity.detector.training.workflow import PackageCfg, train_and_package

    cfg = TrainCfg(data=data, out=out, backbone=backbone, stem=stem, crop=crop, batch_size=batch_size, epochs=epochs,
                   steps_per_epoch=steps_per_epoch, lr=lr, seed=seed, device=device, max_minutes=max_minutes,
                   augment=AugmentCfg(crop=crop), bank_cache=bank_cache, init_weights=init_weights)  # fmt: skip
    if threads:
        torch.set_num_threads(threads)
    chosen_layout = None if layout == "auto" else layout
    with library_errors():
        samples = grouped_samples(data, chosen_layout)
        package = None
        if package_dir:
            calibration_samples = grouped_samples([calibrate_on], chosen_layout) if calibrate_on else None
            package = PackageCfg(package_dir, name, n_tiles, calibrate_on, calibration_samples, target_fpr)
        result = train_and_package(cfg, samples=samples, package=package, resume=resume, log=click.echo)
    if result.calibration is not None:
        click.echo(json.dumps(result.calibration, indent=2))

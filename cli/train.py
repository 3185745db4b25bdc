"""``veracity train``: train the forensic classifier on labelled image folders (torch is imported only here)."""

from __future__ import annotations

import json

import click
from veracity.detector.datasets.layouts import list_layouts


@click.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--layout",
    type=click.Choice(["auto", *list_layouts()]),
    default="auto",
    show_default=True,
    help="How DATA is laid out (the benchmark harness's readers; auto detects each folder's).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder (checkpoints, metrics).")
@click.option("--epochs", default=10, show_default=True, help="Epochs of --steps-per-epoch optimiser steps.")
@click.option("--steps-per-epoch", default=200, show_default=True)
@click.option("--batch-size", default=64, show_default=True, help="Crops per step, half real, half generated.")
@click.option("--crop", default=128, show_default=True, help="Side of the native-resolution training crops.")
@click.option("--backbone", default="mobilenetv3_small_100", show_default=True, help="timm model name.")
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
def train(
    data,
    layout,
    out,
    epochs,
    steps_per_epoch,
    batch_size,
    crop,
    backbone,
    lr,
    seed,
    device,
    max_minutes,
    resume,
    package_dir,
    calibrate_on,
    target_fpr,
    n_tiles,
    threads,
    name,
):
    """Train on DATA: folders (or manifest files) in any layout the benchmark harness reads.

    Layouts: a manifest (CSV/JSONL with path|file and label), ForenSynths (0_real/1_fake), GenImage
    (train|val/nature|ai) or real/ and fake/<generator>/. Validation holds out whole source groups;
    metrics go to OUT/metrics.jsonl each epoch; a killed run resumes from OUT/last.pt. With --package the
    trained model is exported to ONNX with its config, and with --calibrate-on its probabilities,
    threshold and bands are fitted on that dataset.
    """
    import torch
    from veracity.benchmarks.errors import BenchmarkError
    from veracity.benchmarks.harness.training_data import training_samples
    from veracity.detector.training.augment import AugmentCfg
    from veracity.detector.training.train import TrainCfg
    from veracity.detector.training.train import train as run_training

    cfg = TrainCfg(
        data=data,
        out=out,
        backbone=backbone,
        crop=crop,
        batch_size=batch_size,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        lr=lr,
        seed=seed,
        device=device,
        max_minutes=max_minutes,
        augment=AugmentCfg(crop=crop),
    )
    if threads:
        torch.set_num_threads(threads)
    chosen_layout = None if layout == "auto" else layout
    try:
        samples = training_samples(data, chosen_layout)
        calibration_samples = training_samples([calibrate_on], chosen_layout) if calibrate_on else None
    except BenchmarkError as exc:
        raise click.ClickException(str(exc)) from exc
    result = run_training(cfg, resume=resume, log=click.echo, samples=samples)
    click.echo(f"weights: {result.weights} ({result.elapsed_s / 60:.1f} min)")
    if package_dir:
        from veracity.detector.config import DetectorCfg
        from veracity.detector.training.export import package_detector
        from veracity.detector.training.train import load_trained

        detector_cfg = DetectorCfg(
            name=name,
            input_size=crop,
            n_crops=n_tiles,
            mean=(0, 0, 0),
            std=(1, 1, 1),
            params={"backbone": backbone, "stem": "npr", "aggregate": "mean_logit"},
        )
        model = load_trained(result.weights, backbone)
        click.echo(f"packaged: {package_detector(model, result.weights, package_dir, detector_cfg)}")
        if calibrate_on:
            from veracity.detector.calibration import calibrate_folder

            fitted = calibrate_folder(package_dir, calibrate_on, target_fpr=target_fpr, samples=calibration_samples)
            click.echo(json.dumps(fitted, indent=2))

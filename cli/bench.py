"""``veracity bench``: run, fit, report and list benchmarks (thin wrappers over `benchmarks`)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from veracity.cli.errors import library_errors


@click.group()
def bench() -> None:
    """Benchmark detectors on labelled datasets, with perturbations, metrics and plots."""


def _default_output(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


@bench.command("run")
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="Dataset folder or manifest.")
@click.option("--layout", default=None, help="Dataset layout (default: detected). See 'bench ls'.")
@click.option("--detector", "detectors", multiple=True, help="Detector name, or NAME=CHECKPOINT (repeatable).")
@click.option("--perturb", "perturbations", multiple=True, help="Perturbation chain, e.g. jpeg:4 or resize:2+jpeg:3.")
@click.option("--folds", type=click.IntRange(min=0), default=None, help="Source-grouped folds (default 5).")
@click.option("--seed", type=int, default=None, help="Seed of folds, perturbations and bootstrap (default 0).")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Worker processes (default 2).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Batch size of model calls.")
@click.option("--n-boot", type=click.IntRange(min=0), default=None, help="Bootstrap resamples (default 200).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use only the first N files.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder; an existing run there is resumed. Default: ./veracity-bench-<time>.")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace a results folder that holds an incompatible run.")
def run_command(config: Path | None, overwrite: bool, **flags: object) -> None:
    """Run (or resume) a benchmark from CONFIG (YAML) and/or options; options win over CONFIG.

    Prints the Markdown summary; the folder also holds predictions.jsonl, metrics.json, plots/ and run.json.
    """
    from veracity.benchmarks.harness.config import resolve_config
    from veracity.benchmarks.harness.runner import run_benchmark

    flags = {k: (str(v) if isinstance(v, Path) else v) for k, v in flags.items()}
    with library_errors():
        cfg = resolve_config(config, default_output=_default_output("veracity-bench"), **flags)
        result = run_benchmark(cfg, overwrite=overwrite)
    click.echo((result.output / "summary.md").read_text(encoding="utf-8"))
    click.echo(f"Results: {result.output}", err=True)
    if result.n_errors:
        click.echo(f"{result.n_errors} condition(s) failed; see 'error' in predictions.jsonl.", err=True)
        raise SystemExit(1)


@bench.command("fit")
@click.option("--data", required=True, type=click.Path(exists=True, path_type=Path), help="Training dataset.")
@click.option("--layout", default=None, help="Dataset layout (default: detected).")
@click.option("--detector", "detectors", multiple=True, required=True, help="Trainable detector (repeatable).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for <detector>/detector.json. Default: ./veracity-fit-<time>.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use only the first N files.")
@click.option("--overwrite", is_flag=True, help="Replace saved detectors.")
def fit_command(
    data: Path, layout: str | None, detectors: tuple[str, ...], output: Path | None, seed: int, workers: int,
    limit: int | None, overwrite: bool,
) -> None:  # fmt: skip
    """Fit trainable baselines on every file of a dataset; prints NAME=FOLDER for 'bench run --detector'."""
    from veracity.benchmarks.harness.fitting import fit_detectors

    with library_errors():
        saved = fit_detectors(
            data, list(detectors), output or _default_output("veracity-fit"), layout=layout, seed=seed,
            workers=workers, overwrite=overwrite, limit=limit,
        )  # fmt: skip
    for name, folder in saved.items():
        click.echo(f"{name}={folder}")


@bench.command("report")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report_command(folder: Path) -> None:
    """Rebuild metrics.json, summary.md and plots/ of FOLDER from its predictions, without running a model."""
    from veracity.benchmarks.harness.report import build_report

    with library_errors():
        build_report(folder)
    click.echo((folder / "summary.md").read_text(encoding="utf-8"))


@bench.command("ls")
@click.argument("registry", required=False, type=click.Choice(["layouts", "detectors", "perturbations", "metrics"]))
def ls_command(registry: str | None) -> None:
    """List dataset layouts, detectors, perturbations and metrics (or only REGISTRY)."""
    from veracity.benchmarks.harness.listing import registry_listing

    click.echo(registry_listing(registry))

"""Metrics, tables and plots of a results folder, rebuilt from its predictions alone (no model runs).

`build_report(folder)` reads ``run.json`` and ``predictions.jsonl`` and writes ``metrics.json``,
``summary.md`` and ``plots/*.png``. ``veracity bench run`` calls it at the end and ``veracity bench
report`` calls it again later, so both give the same numbers: rows are sorted by path before anything
is computed, which makes the bootstrap independent of the order a (resumed) run wrote them in.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.engine.jsonl import read_jsonl, write_atomic, write_json
from veracity.benchmarks.errors import BenchmarkError, ResultsNotFoundError
from veracity.benchmarks.harness.metrics import compute_metrics
from veracity.benchmarks.harness.perturbations import IDENTITY, parse_chain
from veracity.benchmarks.harness.shortcuts import REENCODE_TOLERANCE, reencode_check, shortcut_predictors

PREDICTIONS = "predictions.jsonl"
RUN_FILE = "run.json"
TABLE_METRICS = (
    ("auroc", "AUROC"), ("ap", "AP"), ("acc_real", "acc real"), ("acc_generated", "acc gen"),
    ("balanced_acc", "bal acc"), ("balanced_acc_best", "bal acc@best"), ("tpr_at_fpr1", "TPR@1%FPR"),
    ("tpr_at_fpr5", "TPR@5%FPR"), ("eer", "EER"), ("ece", "ECE"), ("brier", "Brier"),
)  # fmt: skip


def load_rows(folder: Path, run: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The run's prediction rows, one per (path, detector, perturbation), sorted; and duplicates dropped."""
    detectors = set(run.get("detectors") or [])
    chains = set(run.get("perturbations") or [])
    seen: set[tuple] = set()
    rows, duplicates = [], 0
    for row in read_jsonl(folder / PREDICTIONS):
        if (detectors and row["detector"] not in detectors) or (chains and row["perturbation"] not in chains):
            continue
        key = (row["path"], row["detector"], row["perturbation"])
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        rows.append(row)
    rows.sort(key=lambda r: (r["detector"], r["perturbation"], r["path"]))
    return rows, duplicates


def build_report(folder: str | Path) -> dict[str, Any]:
    """Compute metrics from a results folder and write metrics.json, summary.md and plots; return the metrics.

    Raises:
        ResultsNotFoundError: the folder has no predictions.jsonl.
    """
    folder = Path(folder)
    if not (folder / PREDICTIONS).is_file():
        raise ResultsNotFoundError(f"{str(folder)!r} has no {PREDICTIONS}. Pass a folder written by 'bench run'.")
    run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8")) if (folder / RUN_FILE).is_file() else {}
    rows, duplicates = load_rows(folder, run)
    if not rows:
        raise BenchmarkError(f"{str(folder / PREDICTIONS)!r} holds no predictions for this run's detectors.")
    config = run.get("config", {})
    seed, n_boot = int(config.get("seed", 0)), int(config.get("n_boot", 0))
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["detector"], row["perturbation"])].append(row)
    results = []
    for (detector, chain), members in groups.items():
        results.extend(_slice_results(detector, chain, members, seed=seed, n_boot=n_boot))
    metrics = {
        "seed": seed,
        "n_boot": n_boot,
        "bootstrap_slices": "all metrics on the whole set; AUROC on every generator and source slice too",
        "n_rows": len(rows),
        "duplicate_rows_ignored": duplicates,
        "results": results,
        "reliability": reliability(rows),
        "format_shortcut": format_shortcut(results),
        "format_only": format_only_reference(rows),
        "shortcuts": shortcut_report(rows, seed=seed, n_boot=n_boot),
    }
    write_json(folder / "metrics.json", metrics)
    write_atomic(folder / "summary.md", render_summary(run, metrics))
    from veracity.benchmarks.harness.plots import write_plots

    write_plots(folder / "plots", rows, results, metrics["reliability"])
    return metrics


def _slice_results(
    detector: str, chain: str, rows: list[dict[str, Any]], *, seed: int, n_boot: int
) -> list[dict[str, Any]]:
    ok = [r for r in rows if r["error"] is None and r["p_generated"] is not None]
    errors = len(rows) - len(ok)
    threshold = Counter(r["threshold"] for r in rows).most_common(1)[0][0]
    slices: list[tuple[str, str | None, list[dict[str, Any]]]] = [("all", None, ok)]
    fake_generators = sorted({r["generator"] for r in ok if r["label"] == 1 and r["generator"]})
    for g in fake_generators:
        # A generator's slice: its fakes and its paired reals, or every unpaired real (manifest, real/ + fake/).
        members = [r for r in ok if r["generator"] == g or (r["label"] == 0 and not r["generator"])]
        slices.append(("generator", g, members))
    for source in sorted({r["source"] for r in ok if r["source"]}):
        slices.append(("source", source, [r for r in ok if r["source"] == source]))
    out = []
    for kind, value, members in slices:
        y = np.array([r["label"] for r in members], dtype=int)
        p = np.array([r["p_generated"] for r in members], dtype=float)
        if kind == "all":
            values = compute_metrics(y, p, threshold=threshold, n_boot=n_boot, seed=seed)
        else:  # slices: every metric, and an interval on AUROC (the figure their bar plots show)
            values = compute_metrics(y, p, threshold=threshold, seed=seed)
            values["auroc"] = compute_metrics(y, p, threshold=threshold, names=["auroc"], n_boot=n_boot, seed=seed)[
                "auroc"
            ]
        out.append(
            {
                "detector": detector,
                "perturbation": chain,
                "slice": {"kind": kind, "value": value},
                "n": int(len(y)),
                "n_real": int((y == 0).sum()),
                "n_generated": int((y == 1).sum()),
                "n_errors": errors if kind == "all" else None,
                "threshold": threshold,
                "metrics": {name: v.to_dict() for name, v in values.items()},
            }
        )
    return out


def is_reencode_chain(chain: str) -> bool:
    steps = parse_chain(chain)
    return len(steps) == 1 and steps[0].name == "reencode"


def format_shortcut(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each detector's AUROC on the original files vs after re-encoding both classes identically."""
    overall = {(r["detector"], r["perturbation"]): r for r in results if r["slice"]["kind"] == "all"}
    chains = sorted({chain for _, chain in overall if is_reencode_chain(chain)})
    return [row for chain in chains for row in reencode_check(overall, IDENTITY, chain)]


def reliability(rows: list[dict[str, Any]], n_bins: int = 10) -> list[dict[str, Any]]:
    """Reliability-diagram bins per (detector, perturbation): count, mean P(generated), share generated.

    The same equal-width bins as ECE (`veracity.detector.calibration.expected_calibration_error`), so the
    diagram shows what the ECE figure sums.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["error"] is None and row["p_generated"] is not None:
            groups[(row["detector"], row["perturbation"])].append(row)
    out = []
    for (detector, chain), members in sorted(groups.items()):
        p = np.array([r["p_generated"] for r in members], dtype=float)
        y = np.array([r["label"] for r in members], dtype=float)
        index = np.minimum((p * n_bins).astype(int), n_bins - 1)
        bins = [
            {"low": b / n_bins, "high": (b + 1) / n_bins, "n": int((index == b).sum()),
             "mean_p": float(p[index == b].mean()) if (index == b).any() else None,
             "share_generated": float(y[index == b].mean()) if (index == b).any() else None}
            for b in range(n_bins)
        ]  # fmt: skip
        out.append({"detector": detector, "perturbation": chain, "bins": bins})
    return out


def shortcut_report(rows: list[dict[str, Any]], *, seed: int, n_boot: int) -> dict[str, Any] | None:
    """AUROC of the format-only, size-only and JPEG-quality-only predictors on the original files.

    Out of fold when the run has folds (`veracity.benchmarks.harness.shortcuts`); ``None`` when the rows carry
    no file facts (runs written before they were recorded).
    """
    originals = {r["path"]: r for r in rows if r["perturbation"] == IDENTITY and r.get("width") is not None}
    if not originals:
        return None
    members = list(originals.values())
    folds = [r.get("fold") for r in members]
    predictors = shortcut_predictors(members, [r["label"] for r in members], folds, n_boot=n_boot, seed=seed)
    return {"n_files": len(members), "predictors": predictors, "reencode_tolerance": REENCODE_TOLERANCE}


def format_only_reference(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the original file format alone gives: the AUROC of P(generated | format), fitted on these files.

    A detector near this figure may be reading the container, not the pixels (real JPEGs, fake PNGs).
    """
    originals = {r["path"]: r for r in rows if r["perturbation"] == IDENTITY and "media_type" in r}
    if not originals:
        return None
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in originals.values():
        counts[str(r["media_type"])][r["label"]] += 1
    y = np.array([r["label"] for r in originals.values()])
    p = np.array([counts[str(r["media_type"])][1] / sum(counts[str(r["media_type"])]) for r in originals.values()])
    auroc = compute_metrics(y, p, threshold=0.5, names=["auroc"])["auroc"]
    by_format = {fmt: {"n_real": c[0], "n_generated": c[1]} for fmt, c in sorted(counts.items())}
    return {"auroc": auroc.to_dict(), "by_format": by_format}


# -- Markdown -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _cell(metric: dict[str, Any], with_ci: bool = False) -> str:
    if metric["value"] is None:
        return "n/a"
    if with_ci and metric.get("ci95"):
        low, high = metric["ci95"]
        return f"{metric['value']:.3f} [{low:.3f}, {high:.3f}]"
    return f"{metric['value']:.3f}"


def render_summary(run: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The Markdown summary: overall table, format-shortcut check, per generator and per source AUROC."""
    lines = ["# veracity benchmark", ""]
    ds = run.get("dataset", {})
    if ds:
        lines.append(
            f"Dataset `{ds.get('root')}` (layout {ds.get('layout')}): {ds.get('n')} files, {ds.get('n_real')} real, "
            f"{ds.get('n_generated')} generated; dataset sha256 `{run['identity']['dataset_sha256'][:16]}`; "
            f"seed {run['identity']['seed']}; source-grouped folds: {run['identity']['folds'] or 'none'}; "
            f"git {run.get('git_revision')}."
        )
        lines.append("")
    overall = [r for r in metrics["results"] if r["slice"]["kind"] == "all"]
    lines += [
        "## Overall",
        "",
        f"At each detector's own threshold unless marked @best; 95% bootstrap intervals ({metrics['n_boot']} "
        "resamples) on AUROC.",
        "",
        "| detector | perturbation | n | " + " | ".join(label for _, label in TABLE_METRICS) + " | errors |",
        "|---|---|---|" + "---|" * len(TABLE_METRICS) + "---|",
    ]
    for r in overall:
        cells = [_cell(r["metrics"][name], with_ci=name == "auroc") for name, _ in TABLE_METRICS]
        lines.append(
            f"| {r['detector']} | {r['perturbation']} | {r['n']} | " + " | ".join(cells) + f" | {r['n_errors']} |"
        )
    lines += ["", "## Format-shortcut check", ""]
    if metrics["format_shortcut"]:
        lines += [
            f"| detector | AUROC original | AUROC re-encoded identically | Δ | within ±{REENCODE_TOLERANCE} |",
            "|---|---|---|---|---|",
        ]
        for f in metrics["format_shortcut"]:
            verdict = {True: "yes", False: "**no**", None: "n/a"}[f.get("within_tolerance")]
            lines.append(
                f"| {f['detector']} | {_fmt(f['auroc_original'])} | {_fmt(f['auroc_reencoded'])} ({f['reencode']}) "
                f"| {_fmt(f['delta'], 3) if f['delta'] is not None else 'n/a'} | {verdict} |"
            )
    else:
        lines.append("Not run: add the `reencode` perturbation (and `none`) to compare.")
    reference = metrics.get("format_only")
    if reference:
        formats = ", ".join(
            f"{k} {v['n_real']} real / {v['n_generated']} generated" for k, v in reference["by_format"].items()
        )
        lines += [
            "",
            "Reference: the original file format alone (P(generated | format), fitted on these files) reaches "
            f"AUROC {_cell(reference['auroc'])}. Formats: {formats}.",
        ]
    lines += _shortcut_lines(metrics)
    lines += _slice_table(metrics, "generator", "Per generator (original files, AUROC vs the reals)")
    lines += _slice_table(metrics, "source", "Per source (original files; AUROC n/a on single-class sources)")
    lines += _reliability_lines(metrics)
    throughput = run.get("throughput")
    if throughput:
        lines += ["", "## Throughput", "", "| " + " | ".join(throughput) + " |", "|" + "---|" * len(throughput)]
        lines.append("| " + " | ".join(str(v) for v in throughput.values()) + " |")
    return "\n".join(lines) + "\n"


def _reliability_lines(metrics: dict[str, Any]) -> list[str]:
    overall = [r for r in metrics["results"] if r["slice"]["kind"] == "all"]
    ece = {(r["detector"], r["perturbation"]): r["metrics"]["ece"] for r in overall}
    chosen = [r for r in metrics.get("reliability", []) if r["perturbation"] == IDENTITY]
    if not chosen:
        return []
    lines = ["", "## Calibration (original files)", "",
             "ECE with its reliability diagram in `plots/reliability_none.png`; per bin of P(generated): "
             "files / share generated.", "",
             "| detector | ECE [95% CI] | " + " | ".join(f"{b['low']:.1f}-{b['high']:.1f}" for b in chosen[0]["bins"])
             + " |", "|---|---|" + "---|" * len(chosen[0]["bins"])]  # fmt: skip
    for entry in chosen:
        cells = [f"{b['n']} / {b['share_generated']:.2f}" if b["n"] else "0" for b in entry["bins"]]
        metric = ece.get((entry["detector"], entry["perturbation"]), {"value": None})
        lines.append(f"| {entry['detector']} | {_cell(metric, with_ci=True)} | " + " | ".join(cells) + " |")
    return lines


def _shortcut_lines(metrics: dict[str, Any]) -> list[str]:
    shortcuts = metrics.get("shortcuts")
    if not shortcuts:
        return []
    lines = [
        "", "## Shortcut report", "",
        f"What the files' accidents alone give on the original files ({shortcuts['n_files']} files), beside each "
        "detector. A detector that reads pixels should beat them, and lose no more than "
        f"{shortcuts['reencode_tolerance']} AUROC when every file is re-encoded identically (table above).",
        "", "| predictor | sees | fitted | AUROC [95% CI] |", "|---|---|---|---|",
    ]  # fmt: skip
    for name, entry in shortcuts["predictors"].items():
        lines.append(f"| {name} | {entry['sees']} | {entry['fitted']} | {_cell(entry['auroc'], with_ci=True)} |")
    for r in metrics["results"]:
        if r["slice"]["kind"] == "all" and r["perturbation"] == IDENTITY:
            lines.append(f"| detector {r['detector']} | pixels | - | {_cell(r['metrics']['auroc'], with_ci=True)} |")
    return lines


def _slice_table(metrics: dict[str, Any], kind: str, title: str) -> list[str]:
    rows = [r for r in metrics["results"] if r["slice"]["kind"] == kind and r["perturbation"] == IDENTITY]
    if not rows:
        return []
    detectors = sorted({r["detector"] for r in rows})
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    counts: dict[str, str] = {}
    for r in rows:
        table[r["slice"]["value"]][r["detector"]] = r
        counts[r["slice"]["value"]] = f"{r['n_real']}/{r['n_generated']}"
    metric = "auroc" if kind == "generator" else "auroc"
    lines = ["", f"## {title}", "", f"| {kind} | real/gen | " + " | ".join(detectors) + " |"]
    lines.append("|---|---|" + "---|" * len(detectors))
    for value in sorted(table):
        cells = [
            _cell(table[value][d]["metrics"][metric], with_ci=True) if d in table[value] else "–" for d in detectors
        ]
        lines.append(f"| {value} | {counts[value]} | " + " | ".join(cells) + " |")
    return lines

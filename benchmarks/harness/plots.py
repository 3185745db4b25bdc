"""PNG plots of a benchmark (matplotlib, headless): ROC and PR curves, reliability diagrams, and AUROC per
generator, source and perturbation with their 95% bootstrap intervals as error bars."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.harness.perturbations import IDENTITY


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede the pyplot import
    import matplotlib.pyplot as plt

    return plt


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def write_plots(
    folder: Path,
    rows: list[dict[str, Any]],
    results: list[dict[str, Any]],
    reliability: list[dict[str, Any]] | None = None,
) -> list[Path]:
    """Write roc_pr_<perturbation>.png, reliability_<perturbation>.png (from ``reliability``, the report's bins),
    auroc_per_generator.png, auroc_per_source.png and auroc_per_perturbation.png; return the paths."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    by_chain: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["error"] is None and row["p_generated"] is not None:
            by_chain[row["perturbation"]][row["detector"]].append(row)
    for chain, per_detector in sorted(by_chain.items()):
        fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(10, 4.5))
        for detector, members in sorted(per_detector.items()):
            y = np.array([r["label"] for r in members])
            p = np.array([r["p_generated"] for r in members])
            if len(set(y.tolist())) < 2:
                continue
            fpr, tpr, _ = roc_curve(y, p)
            precision, recall, _ = precision_recall_curve(y, p)
            ax_roc.plot(fpr, tpr, label=detector)
            ax_pr.step(recall, precision, where="post", label=detector)
        ax_roc.plot([0, 1], [0, 1], "k:", linewidth=0.8)
        ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC · {chain}")
        ax_pr.set(xlabel="recall (generated)", ylabel="precision", title=f"PR · {chain}")
        ax_roc.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        written.append(_save(fig, folder / f"roc_pr_{_safe(chain)}.png", plt))
    for chain in sorted({r["perturbation"] for r in reliability or []}):
        written.append(_reliability_plot(plt, folder / f"reliability_{_safe(chain)}.png", reliability, results, chain))
    written.append(_bar_chart(plt, folder / "auroc_per_generator.png", results, "generator", IDENTITY))
    written.append(_bar_chart(plt, folder / "auroc_per_source.png", results, "source", IDENTITY))
    written.append(_bar_chart(plt, folder / "auroc_per_perturbation.png", results, "all", None))
    return [p for p in written if p is not None]


def _reliability_plot(
    plt: Any, path: Path, reliability: list[dict[str, Any]], results: list[dict[str, Any]], chain: str
) -> Path | None:
    """Mean P(generated) against the share of generated files per bin; marker area follows the bin's count."""
    entries = [e for e in reliability if e["perturbation"] == chain]
    if not entries:
        return None
    ece = {
        r["detector"]: r["metrics"]["ece"]
        for r in results
        if r["slice"]["kind"] == "all" and r["perturbation"] == chain
    }
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k:", linewidth=0.8, label="perfect calibration")
    for entry in entries:
        bins = [b for b in entry["bins"] if b["n"]]
        total = sum(b["n"] for b in bins) or 1
        value = ece.get(entry["detector"], {}).get("value")
        interval = ece.get(entry["detector"], {}).get("ci95")
        label = entry["detector"] + (f" (ECE {value:.3f}" if value is not None else " (ECE n/a")
        label += f" [{interval[0]:.3f}, {interval[1]:.3f}])" if interval else ")"
        line = ax.plot([b["mean_p"] for b in bins], [b["share_generated"] for b in bins], "-", label=label)[0]
        ax.scatter(
            [b["mean_p"] for b in bins], [b["share_generated"] for b in bins],
            s=[20 + 400 * b["n"] / total for b in bins], color=line.get_color(), alpha=0.6,
        )  # fmt: skip
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean P(generated) in bin", ylabel="share of generated files in bin",
           title=f"Reliability · {chain}")  # fmt: skip
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _save(fig, path, plt)


def _bar_chart(plt: Any, path: Path, results: list[dict[str, Any]], kind: str, chain: str | None) -> Path | None:
    chosen = [r for r in results if r["slice"]["kind"] == kind and (chain is None or r["perturbation"] == chain)]
    if not chosen:
        return None
    category = (lambda r: r["perturbation"]) if kind == "all" else (lambda r: r["slice"]["value"])
    categories = sorted({category(r) for r in chosen})
    detectors = sorted({r["detector"] for r in chosen})
    values = {(category(r), r["detector"]): r["metrics"]["auroc"]["value"] for r in chosen}
    intervals = {(category(r), r["detector"]): r["metrics"]["auroc"].get("ci95") for r in chosen}
    width = 0.8 / max(len(detectors), 1)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(categories) * max(1, len(detectors) / 2)), 4.5))
    x = np.arange(len(categories))
    for i, detector in enumerate(detectors):
        heights = np.array([np.nan if values.get((c, detector)) is None else values[(c, detector)] for c in categories])
        # Error bars: the 95% bootstrap interval of each bar (none where the slice had too few resamples).
        bounds = [intervals.get((c, detector)) or (h, h) for c, h in zip(categories, heights, strict=True)]
        low = [h - b[0] for h, b in zip(heights, bounds, strict=True)]
        high = [b[1] - h for h, b in zip(heights, bounds, strict=True)]
        yerr = np.nan_to_num(np.array([low, high]), nan=0.0).clip(min=0.0)
        ax.bar(x + i * width, heights, width, label=detector, yerr=yerr, capsize=2, error_kw={"linewidth": 0.8})
    ax.axhline(0.5, color="k", linestyle=":", linewidth=0.8)
    ax.set_xticks(x + width * (len(detectors) - 1) / 2, categories, rotation=60, ha="right", fontsize=8)
    what = {"generator": "generator (original files)", "source": "source (original files)"}.get(kind, "perturbation")
    ax.set(ylim=(0, 1.05), ylabel="AUROC (95% bootstrap interval)", title=f"AUROC per {what}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, plt)


def _save(fig: Any, path: Path, plt: Any) -> Path:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)
    return path

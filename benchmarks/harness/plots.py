"""PNG plots of a benchmark (matplotlib, headless): ROC and PR curves, per-generator and per-perturbation AUROC."""

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


def write_plots(folder: Path, rows: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[Path]:
    """Write roc_pr_<perturbation>.png, auroc_per_generator.png and auroc_per_perturbation.png; return paths."""
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
    written.append(_bar_chart(plt, folder / "auroc_per_generator.png", results, "generator", IDENTITY))
    written.append(_bar_chart(plt, folder / "auroc_per_perturbation.png", results, "all", None))
    return [p for p in written if p is not None]


def _bar_chart(plt: Any, path: Path, results: list[dict[str, Any]], kind: str, chain: str | None) -> Path | None:
    chosen = [r for r in results if r["slice"]["kind"] == kind and (chain is None or r["perturbation"] == chain)]
    if not chosen:
        return None
    category = (lambda r: r["slice"]["value"]) if kind == "generator" else (lambda r: r["perturbation"])
    categories = sorted({category(r) for r in chosen})
    detectors = sorted({r["detector"] for r in chosen})
    values = {(category(r), r["detector"]): r["metrics"]["auroc"]["value"] for r in chosen}
    width = 0.8 / max(len(detectors), 1)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(categories) * max(1, len(detectors) / 2)), 4.5))
    x = np.arange(len(categories))
    for i, detector in enumerate(detectors):
        heights = [values.get((c, detector)) for c in categories]
        ax.bar(x + i * width, [np.nan if h is None else h for h in heights], width, label=detector)
    ax.axhline(0.5, color="k", linestyle=":", linewidth=0.8)
    ax.set_xticks(x + width * (len(detectors) - 1) / 2, categories, rotation=60, ha="right", fontsize=8)
    ax.set(
        ylim=(0, 1),
        ylabel="AUROC",
        title=f"AUROC per {'generator (original files)' if kind == 'generator' else 'perturbation'}",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, plt)


def _save(fig: Any, path: Path, plt: Any) -> Path:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)
    return path

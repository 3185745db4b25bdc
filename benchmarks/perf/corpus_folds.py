"""Leave-one-family-out and leave-one-source-out AUROC on the corpus, with the shortcut report beside them.

    python -m veracity.benchmarks.perf.corpus_folds --oof DIR/oof.jsonl --data CORPUS --out corpus-folds.json

Reads the out-of-fold scores of `veracity.detector.training.folds` (each file scored by a model trained without
its fold's families and real sources). A generator family's AUROC ranks its images against the real images of
the same fold (scored by the same model, never seen by it); a real source's AUROC ranks its images against the
generated images of its fold. Intervals: 95% bootstrap over images. The shortcut predictors
(`veracity.benchmarks.harness.shortcuts`) are fitted with the same folds, so they face the same held-out
families and sources as the detector. Prints Markdown tables and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.harness.metrics import compute_metrics
from veracity.benchmarks.harness.shortcuts import REENCODE_TOLERANCE, read_file_facts, shortcut_predictors


def _auroc(y: list[int], scores: list[float], n_boot: int, seed: int) -> dict[str, Any]:
    return compute_metrics(y, scores, threshold=0.0, names=["auroc"], n_boot=n_boot, seed=seed)["auroc"].to_dict()


def slice_tables(rows: list[dict[str, Any]], n_boot: int = 500, seed: int = 0) -> dict[str, Any]:
    """Per-family, per-source and per-fold AUROC from out-of-fold rows (see the module docstring)."""
    by_fold: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_fold[row["fold"]].append(row)
    families, sources, folds = {}, {}, {}
    for fold, members in sorted(by_fold.items()):
        reals = [r for r in members if r["label"] == 0]
        fakes = [r for r in members if r["label"] == 1]
        for name in sorted({r["family"] for r in fakes}):
            own = [r for r in fakes if r["family"] == name]
            y = [0] * len(reals) + [1] * len(own)
            s = [r["logits"]["original"] for r in reals + own]
            families[name] = {"fold": fold, "n_generated": len(own), "n_real": len(reals),
                              "auroc": _auroc(y, s, n_boot, seed)}  # fmt: skip
        for name in sorted({r["source"] for r in reals}):
            own = [r for r in reals if r["source"] == name]
            y = [0] * len(own) + [1] * len(fakes)
            s = [r["logits"]["original"] for r in own + fakes]
            sources[name] = {"fold": fold, "n_real": len(own), "n_generated": len(fakes),
                             "auroc": _auroc(y, s, n_boot, seed)}  # fmt: skip
        y = [r["label"] for r in members]
        original = _auroc(y, [r["logits"]["original"] for r in members], n_boot, seed)
        reencoded = _auroc(y, [r["logits"]["reencode"] for r in members], n_boot, seed)
        folds[fold] = {"n": len(members), "auroc_original": original, "auroc_reencoded": reencoded,
                       "delta": reencoded["value"] - original["value"]}  # fmt: skip
    values = [f["auroc"]["value"] for f in families.values() if f["auroc"]["value"] is not None]
    deltas = [f["delta"] for f in folds.values()]
    return {
        "families": families,
        "sources": sources,
        "folds": folds,
        "mean_leave_one_family_out_auroc": float(np.mean(values)) if values else None,
        "mean_leave_one_source_out_auroc": float(
            np.mean([s["auroc"]["value"] for s in sources.values() if s["auroc"]["value"] is not None])
        ),
        "reencode_delta_mean": float(np.mean(deltas)),
        "reencode_delta_max_abs": float(np.max(np.abs(deltas))),
        "reencode_tolerance": REENCODE_TOLERANCE,
    }


def corpus_shortcuts(rows: list[dict[str, Any]], data: Path, n_boot: int, seed: int) -> dict[str, Any]:
    """The shortcut predictors on the scored corpus files, fitted with the detector's folds, and its own AUROC."""
    facts = [read_file_facts(str(data / r["path"])) for r in rows]
    labels = [r["label"] for r in rows]
    folds = [r["fold"] for r in rows]
    report = shortcut_predictors(facts, labels, folds, n_boot=n_boot, seed=seed)
    # The detector's pooled out-of-fold AUROC (folds' models pooled; the per-fold figures are in "folds").
    report["detector (pooled out-of-fold)"] = {
        "auroc": _auroc(labels, [r["logits"]["original"] for r in rows], n_boot, seed),
        "fitted": "out-of-fold (family/source-grouped)",
        "sees": "pixels",
    }
    return report


def render(tables: dict[str, Any], shortcuts: dict[str, Any] | None) -> str:
    """Markdown: shortcut report, per fold, per family, per source."""

    def cell(metric: dict[str, Any]) -> str:
        if metric["value"] is None:
            return "n/a"
        ci = metric.get("ci95")
        return f"{metric['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

    lines = []
    if shortcuts:
        lines += ["## Shortcut report (corpus, out of fold)", "", "| predictor | sees | AUROC [95% CI] |"]
        lines += ["|---|---|---|"]
        lines += [f"| {name} | {e['sees']} | {cell(e['auroc'])} |" for name, e in shortcuts.items()]
    lines += ["", "## Per fold: original files vs identically re-encoded (JPEG q95)", "",
              "| fold | files | AUROC original | AUROC re-encoded | Δ |", "|---|---|---|---|---|"]  # fmt: skip
    for fold, f in tables["folds"].items():
        lines.append(f"| {fold} | {f['n']} | {cell(f['auroc_original'])} | {cell(f['auroc_reencoded'])} "
                     f"| {f['delta']:+.3f} |")  # fmt: skip
    lines += ["", f"Mean leave-one-family-out AUROC: **{tables['mean_leave_one_family_out_auroc']:.3f}**; "
              f"mean leave-one-source-out AUROC: **{tables['mean_leave_one_source_out_auroc']:.3f}**.", "",
              "## Leave one generator family out", "", "| family | fold | generated / real | AUROC [95% CI] |",
              "|---|---|---|---|"]  # fmt: skip
    for name, f in sorted(tables["families"].items(), key=lambda kv: -(kv[1]["auroc"]["value"] or 0)):
        lines.append(f"| {name} | {f['fold']} | {f['n_generated']} / {f['n_real']} | {cell(f['auroc'])} |")
    lines += ["", "## Leave one real source out", "", "| source | fold | real / generated | AUROC [95% CI] |",
              "|---|---|---|---|"]  # fmt: skip
    for name, f in sorted(tables["sources"].items(), key=lambda kv: -(kv[1]["auroc"]["value"] or 0)):
        lines.append(f"| {name} | {f['fold']} | {f['n_real']} / {f['n_generated']} | {cell(f['auroc'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oof", type=Path, required=True, help="oof.jsonl of veracity.detector.training.folds")
    parser.add_argument("--data", type=Path, help="the corpus folder (for the shortcut report's file facts)")
    parser.add_argument("--out", type=Path, help="write the JSON here (and the Markdown beside it)")
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.oof.read_text().splitlines() if line.strip()]
    tables = slice_tables(rows, args.n_boot, args.seed)
    shortcuts = corpus_shortcuts(rows, args.data, args.n_boot, args.seed) if args.data else None
    text = render(tables, shortcuts)
    print(text)
    if args.out:
        args.out.write_text(json.dumps({"tables": tables, "shortcuts": shortcuts}, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()

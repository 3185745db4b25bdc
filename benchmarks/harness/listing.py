"""Plain-text listings of the registries, for ``veracity bench ls`` and ``veracity detectors``."""

from __future__ import annotations

import json


def describe_detectors(pattern: str | None = None) -> list[dict[str, object]]:
    """Each detector matching ``pattern``: name and default config (``None`` when it declares none)."""
    from veracity.detector.registry import detector_cfg, list_detectors

    out = []
    for name in list_detectors(pattern):
        cfg = detector_cfg(name)
        out.append({"name": name, "cfg": cfg.to_dict() if cfg is not None else None})
    return out


def render_detectors(pattern: str | None = None, *, as_json: bool = False) -> str:
    entries = describe_detectors(pattern)
    if as_json:
        return json.dumps(entries, indent=1)
    lines = []
    for entry in entries:
        cfg = entry["cfg"] or {}
        facts = ", ".join(
            f"{k}={cfg[k]}"
            for k in ("input_size", "threshold", "bands", "calibrated", "license")
            if cfg.get(k) is not None
        )
        lines.append(f"{entry['name']}\n    {cfg.get('notes') or '(no description)'}\n    {facts}")
    return "\n".join(lines) if lines else "(no detector matches)"


def registry_listing(which: str | None = None) -> str:
    from veracity.benchmarks.harness.metrics import metrics
    from veracity.benchmarks.harness.perturbations import perturbations
    from veracity.detector.datasets.layouts import layouts

    sections = []
    if which in (None, "layouts"):
        body = [f"  {n:<14} {layouts.get(n).description}" for n in layouts.list()]
        sections.append("Dataset layouts:\n" + "\n".join(body))
    if which in (None, "detectors"):
        sections.append("Detectors:\n" + "\n".join(f"  {d['name']}" for d in describe_detectors()))
    if which in (None, "perturbations"):
        body = []
        for n in perturbations.list():
            p = perturbations.get(n)
            levels = " ".join(f"{k}:{v:g}" for k, v in p.table.items()) or "(one level)"
            body.append(f"  {n:<15} {p.kind:<6} {p.description}; severity {levels}")
        sections.append("Perturbations (chain with +, e.g. resize:2+jpeg:4):\n" + "\n".join(body))
    if which in (None, "metrics"):
        body = []
        for n in metrics.list():
            m = metrics.get(n)
            body.append(f"  {n:<19} {'higher' if m.higher_is_better else 'lower'} is better; {m.description}")
        sections.append("Metrics:\n" + "\n".join(body))
    return "\n\n".join(sections)

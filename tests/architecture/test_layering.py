"""The dependency rule of ARCHITECTURE.md, checked on the source: no cycles, no upward import."""

from __future__ import annotations

import pytest

from tests.architecture.imports import import_graph, strongly_connected

#: Layers from the bottom up; a module may import its own layer and the ones below, never one above.
LAYERS = (
    ("veracity._lazy",),
    ("veracity.provenance",),
    ("veracity.detector",),
    ("veracity.benchmarks",),
    ("veracity.api",),
    ("veracity.cli",),
    ("veracity",),  # the facade: re-exports everything, lazily
)
#: What the detector may use of provenance: its shared vocabulary and inputs, never a signal's internals.
DETECTOR_MAY_IMPORT = (
    "veracity.provenance.labels",
    "veracity.provenance.signals",
    "veracity.provenance.errors",
    "veracity.provenance.options",
    "veracity.provenance.versions",
    "veracity.provenance.assets",
)


def layer_of(module: str) -> int:
    matches = [
        (len(prefix), rank)
        for rank, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


GRAPH = import_graph()


def test_there_are_no_import_cycles():
    assert strongly_connected(GRAPH) == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_a_layer_above_its_own(module):
    upward = sorted(t for t in GRAPH[module] if layer_of(t) > layer_of(module))
    assert upward == [], f"{module} (layer {layer_of(module)}) imports upward: {upward}"


def test_the_detector_uses_only_the_core_of_provenance():
    outside = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.startswith("veracity.detector")
        for target in targets
        if target.startswith("veracity.provenance")
        and not any(target == ok or target.startswith(ok + ".") for ok in DETECTOR_MAY_IMPORT)
    )
    assert outside == []


def test_the_cycle_finder_finds_cycles():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

"""A third-party detector, installed inside the test, is found through the 'veracity.detectors' entry point."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.detector.contract import check_contract
from tests.images import textured
from veracity.detector.capabilities import Capability
from veracity.detector.registry import ENTRY_POINT_GROUP, create_detector, detectors, list_detectors

PLUGIN = textwrap.dedent(
    '''
    """A tiny third-party detector: P(generated) from how flat the image's histogram is (a real, if weak, cue)."""
    import numpy as np

    from veracity.detector.base import BaseDetector, proba_from_p
    from veracity.detector.config import DetectorCfg

    CFG = DetectorCfg(name="demo.histogram", notes="histogram flatness", license="MIT")


    class HistogramDetector(BaseDetector):
        def _predict_proba(self, images):
            p = []
            for image in images:
                hist = np.bincount(np.asarray(image.convert("L")).ravel(), minlength=256) / (image.width * image.height)
                p.append(1.0 - min(1.0, float((hist > 0).mean()) * 2))
            return proba_from_p(p)


    def create(*, checkpoint=None, device="cpu", **overrides):
        return HistogramDetector(CFG.replace(**overrides))


    create.default_cfg = CFG
    '''
)


def _install(tmp_path) -> str:
    """pip-install the plugin into a private target folder (or, without setuptools, write what pip writes)."""
    src = tmp_path / "src"
    (src / "veracity_demo_plugin").mkdir(parents=True)
    (src / "veracity_demo_plugin" / "__init__.py").write_text(PLUGIN)
    entry_points = f'[{ENTRY_POINT_GROUP}]\n"demo.histogram" = "veracity_demo_plugin:create"\n'
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "veracity-demo-plugin"\nversion = "0.1"\n'
        f'[project.entry-points."{ENTRY_POINT_GROUP}"]\n"demo.histogram" = "veracity_demo_plugin:create"\n'
    )
    site = tmp_path / "site"
    if importlib.util.find_spec("setuptools") is not None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
             "--disable-pip-version-check", "--target", str(site), str(src)],
            check=True,
        )  # fmt: skip
    else:  # pragma: no cover - environments without setuptools
        dist = site / "veracity_demo_plugin-0.1.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: veracity-demo-plugin\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text(entry_points.replace('"', ""))
        (site / "veracity_demo_plugin").mkdir()
        (site / "veracity_demo_plugin" / "__init__.py").write_text(PLUGIN)
    return str(site)


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(_install(tmp_path))
    detectors._clear()  # forget resolved names; the loaders read the entry points again
    yield
    monkeypatch.undo()
    sys.modules.pop("veracity_demo_plugin", None)
    detectors._clear()


def test_plugin_found_through_entry_point(installed_plugin):
    assert "demo.histogram" in list_detectors()
    assert list_detectors("demo.*") == ["demo.histogram"]
    detector = create_detector("demo.histogram", threshold=0.3)
    assert detector.cfg.threshold == 0.3 and detector.name == "demo.histogram"
    proba = detector.predict_proba([textured(seed=1), textured(seed=2).convert("L")])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert "spectral.durall2020" in list_detectors()  # built-ins still there


def test_plugin_keeps_the_detector_contract(installed_plugin, tmp_path):
    assert check_contract("demo.histogram", tmp_path) == {Capability.SCORE_PIXELS, Capability.SCORE_ASSET}


def test_plugin_listed_by_the_cli(installed_plugin):
    from click.testing import CliRunner

    from veracity.cli.main import main

    result = CliRunner().invoke(main, ["detectors", "demo*"])
    assert result.exit_code == 0, result.output
    assert "demo.histogram" in result.stdout and "histogram flatness" in result.stdout


def test_module_factory_string_without_entry_point():
    detector = create_detector("veracity.benchmarks.harness.pipeline_detectors:create_provenance_detector")
    assert detector.name == "provenance.signals"


def test_plugin_gone_after_uninstall():
    assert "demo.histogram" not in list_detectors()

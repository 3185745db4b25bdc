"""The generic Registry and the detector registry: lazy targets, duplicates, did-you-mean, listing."""

from __future__ import annotations

import pytest

from veracity.detector.config import DetectorCfg
from veracity.detector.errors import DetectorConfigError, DuplicateRegistrationError, RegistryLookupError
from veracity.detector.registry import Registry, create_detector, detector_cfg, list_detectors, load_object, natural_key


def _double(x):
    return 2 * x


def test_decorator_and_lazy_string_registration():
    reg = Registry("thing")

    @reg.register("inline")
    def inline():
        return 1

    reg.register("lazy", "json:dumps")
    assert reg.get("inline") is inline
    import json

    assert reg.get("lazy") is json.dumps
    assert "lazy" in reg and len(reg) == 2


def test_duplicate_name_to_other_target_raises_but_same_target_is_idempotent():
    reg = Registry("thing")
    reg.register("double", _double)
    reg.register("double", _double)
    reg.register("double", f"{__name__}:_double")  # the lazy spelling of the same object
    with pytest.raises(DuplicateRegistrationError, match="'double' is already bound"):
        reg.register("double", "json:dumps")


def test_unknown_name_suggests_close_matches_and_lists_available():
    reg = Registry("detector")
    reg.register("convnext_tiny.v1", _double)
    reg.register("resnet50.v2", _double)
    with pytest.raises(
        RegistryLookupError, match=r"Unknown detector 'convnxt_tiny.v1'. Did you mean: convnext_tiny.v1\?"
    ):
        reg.get("convnxt_tiny.v1")
    with pytest.raises(LookupError, match="Available: convnext_tiny.v1, resnet50.v2"):
        reg.get("zzz")


def test_list_natural_sort_and_wildcards():
    reg = Registry("thing")
    for name in ["net10", "net2", "Net1", "other"]:
        reg.register(name, _double)
    assert reg.list() == ["Net1", "net2", "net10", "other"]
    assert reg.list("net*") == ["net2", "net10"]
    assert reg.list(["net1?", "oth*"]) == ["net10", "other"]
    assert natural_key("a10") > natural_key("a9")


def test_base_cls_is_checked_on_resolution():
    reg = Registry("config", base_cls=DetectorCfg)
    reg.register("bad", "collections:OrderedDict")
    with pytest.raises(RegistryLookupError, match="not a DetectorCfg"):
        reg.get("bad")


def test_bad_lazy_targets():
    with pytest.raises(RegistryLookupError, match="must look like 'package.module:attribute'"):
        load_object("no_colon")
    with pytest.raises(RegistryLookupError, match="Cannot import module 'no_such_module_xyz'"):
        load_object("no_such_module_xyz:f")
    with pytest.raises(RegistryLookupError, match="has no attribute 'nope'"):
        load_object("json:nope")


def test_loaders_run_once_and_again_after_clear():
    calls = []
    reg = Registry("thing")
    reg.add_loader(lambda r: (calls.append(1), r.register("from_loader", _double)))
    assert reg.list() == ["from_loader"] and reg.list() == ["from_loader"]
    assert len(calls) == 1
    reg._clear()
    assert reg.list() == ["from_loader"] and len(calls) == 2
    reg._clear(loaders=True)
    assert reg.list() == []


def test_builtin_detectors_are_listed_without_importing_them():

    names = list_detectors()
    assert {"spectral.durall2020", "dct.frank2020", "provenance.signals", "veracity.pipeline"} <= set(names)
    assert list_detectors("spectral*") == ["spectral.durall2020"]


def test_create_detector_unknown_name_did_you_mean():
    with pytest.raises(RegistryLookupError, match="Did you mean: spectral.durall2020"):
        create_detector("spectral.durall202")
    with pytest.raises(RegistryLookupError, match="Unknown detector"):
        detector_cfg("nope.nope")


def test_create_detector_missing_checkpoint():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        create_detector("spectral.durall2020", checkpoint="/nonexistent/x.json")


def test_detector_cfg_roundtrip_and_validation():
    cfg = DetectorCfg(name="x.y", input_size=224, threshold=0.4, bands=(0.2, 0.8), params={"k": 1})
    assert DetectorCfg.from_dict(cfg.to_dict()) == cfg
    assert cfg.band(0.1) == "likely-real" and cfg.band(0.5) == "inconclusive" and cfg.band(0.8) == "likely-generated"
    assert cfg.replace(threshold=None, n_crops=3).n_crops == 3
    with pytest.raises(DetectorConfigError, match="Unknown DetectorCfg field"):
        cfg.replace(treshold=0.3)
    with pytest.raises(DetectorConfigError, match="threshold must be in"):
        DetectorCfg(name="x", threshold=1.5)
    with pytest.raises(DetectorConfigError, match="bands must be"):
        DetectorCfg(name="x", bands=(0.8, 0.2))
    with pytest.raises(DetectorConfigError, match="classes_ must be"):
        DetectorCfg(name="x", classes_=("generated", "real"))


def test_importing_detector_package_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import veracity.detector, veracity.detector.registry, veracity.detector.base, veracity.detector.config, sys;"
        " assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_shipped_detector_is_registered_and_loads_by_name():
    from pathlib import Path

    from veracity.detector.default import DEFAULT_DETECTOR
    from veracity.detector.models.forensic import SHIPPED_FOLDERS, WEIGHTS_DIR
    from veracity.detector.registry import BUILTIN_DETECTORS, create_detector

    assert DEFAULT_DETECTOR in SHIPPED_FOLDERS
    assert {p.parent.name for p in Path(WEIGHTS_DIR).glob("*/detector.json")} == set(SHIPPED_FOLDERS.values())
    for name in SHIPPED_FOLDERS:
        assert name in BUILTIN_DETECTORS
        assert create_detector(name).name == name

"""What gets installed: one import name, every package folder listed, the public API pinned."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

import veracity
from tests.architecture.imports import REPO, ROOTS

PUBLIC_API = [
    "AnalysisOptions", "BenchmarkError", "DEFAULT", "DetectorError", "ErrorRecord", "Limits", "ManifestResult",
    "ProvenanceError", "Report", "ScanOptions", "ScanSettings", "ScanSummary", "TrustSettings", "Verdict",
    "__version__", "analyze", "check", "check_or_error", "create_detector", "list_detectors", "read_credentials",
    "run_benchmark", "scan", "sign_file", "verify_credentials",
]  # fmt: skip


def test_the_public_api_is_pinned_and_every_name_resolves():
    assert veracity.__all__ == sorted(PUBLIC_API)
    for name in veracity.__all__:
        assert getattr(veracity, name) is not None, name


def test_importing_veracity_loads_nothing_heavy():
    heavy = "{'numpy', 'PIL', 'c2pa', 'torch', 'onnxruntime'}"
    code = f"import sys, veracity; print({heavy} & set(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "set()"


def test_pyproject_lists_every_package_folder():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join([package, *init.parent.relative_to(REPO / folder).parts])
        for folder, package in ROOTS.items()
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert sorted(config["packages"]) == sorted(on_disk)
    assert config["package-dir"] == {package: folder for folder, package in ROOTS.items()}


@pytest.mark.slow
def test_the_wheel_installs_only_the_veracity_name(tmp_path):
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the checkout
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.splitlines()  # fmt: skip
    for name in listed:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path),
         str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("veracity-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"veracity"}
    for data in ("veracity/detector/weights/npr-mnv3s-v1/model.onnx", "veracity/provenance/schemas/report.schema.json",
                 "veracity/provenance/credentials/trustlists/c2pa_trust_list.pem"):  # fmt: skip
        assert data in names, data

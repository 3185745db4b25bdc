"""``veracity bench`` and ``veracity detectors`` through Click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.images import make_real_fake
from veracity.cli.main import main


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_bench_ls_lists_every_registry():
    result = _invoke("bench", "ls")
    assert result.exit_code == 0
    for word in ("forensynths", "genimage", "real-fake", "manifest", "spectral.durall2020", "reencode", "auroc", "eer"):
        assert word in result.stdout
    only = _invoke("bench", "ls", "metrics")
    assert "auroc" in only.stdout and "forensynths" not in only.stdout


def test_detectors_lists_with_config_and_pattern():
    result = _invoke("detectors", "dct*")
    assert result.exit_code == 0 and result.stdout.startswith("dct.frank2020")
    assert "spectral" not in result.stdout and "threshold=0.5" in result.stdout
    as_json = json.loads(_invoke("detectors", "--format", "json").stdout)
    assert {d["name"] for d in as_json} >= {"spectral.durall2020", "provenance.signals", "veracity.pipeline"}


@pytest.mark.slow
def test_fit_then_run_with_checkpoint_then_report(tmp_path):
    data = make_real_fake(tmp_path / "data", n_real=6, n_per_generator=3)
    fit = _invoke("bench", "fit", "--data", str(data), "--detector", "spectral.durall2020", "-o", str(tmp_path / "m"),
                  "--workers", "0")  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert fit.stdout.strip() == f"spectral.durall2020={tmp_path / 'm' / 'spectral.durall2020'}"
    out = tmp_path / "out"
    run = _invoke("bench", "run", "--data", str(data), "--detector", fit.stdout.strip(), "--detector",
                  "provenance.signals", "--perturb", "none", "--perturb", "reencode", "--folds", "0", "--workers", "0",
                  "--n-boot", "10", "-o", str(out))  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "## Format-shortcut check" in run.stdout and "| spectral.durall2020 |" in run.stdout
    assert "Results:" in run.stderr and "Results:" not in run.stdout
    metrics = (out / "metrics.json").read_bytes()
    (out / "metrics.json").unlink()
    report = _invoke("bench", "report", str(out))
    assert report.exit_code == 0 and (out / "metrics.json").read_bytes() == metrics
    assert report.stdout == run.stdout


def test_refit_refuses_to_overwrite(tmp_path):
    data = make_real_fake(tmp_path / "data", n_real=4, n_per_generator=2)
    args = [
        "bench",
        "fit",
        "--data",
        str(data),
        "--detector",
        "dct.frank2020",
        "-o",
        str(tmp_path / "m"),
        "--workers",
        "0",
    ]
    assert _invoke(*args).exit_code == 0
    saved = (tmp_path / "m" / "dct.frank2020" / "detector.json").read_bytes()
    again = _invoke(*args)
    assert again.exit_code == 1 and "exists. Pass --overwrite" in again.stderr
    assert (tmp_path / "m" / "dct.frank2020" / "detector.json").read_bytes() == saved


def test_run_errors_are_one_clean_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _invoke("bench", "run", "--data", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "--workers", "0")
    assert result.exit_code == 1 and "matches no known dataset layout" in result.stderr
    assert "Traceback" not in result.output
    result = _invoke(
        "bench", "run", "--data", str(tmp_path / "empty"), "--perturb", "jpeg:9", "-o", str(tmp_path / "o")
    )
    assert result.exit_code == 1
    bad = _invoke("bench", "run", "--data", str(tmp_path / "empty"), "--workers", "-1")
    assert bad.exit_code == 2


def test_report_of_a_folder_without_predictions(tmp_path):
    result = _invoke("bench", "report", str(tmp_path))
    assert result.exit_code == 1 and "has no predictions.jsonl" in result.stderr


def test_help_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from veracity.cli.main import main; "
        "r = CliRunner().invoke(main, ['bench', '--help']); assert r.exit_code == 0; "
        "CliRunner().invoke(main, ['detectors']); CliRunner().invoke(main, ['bench', 'ls']); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

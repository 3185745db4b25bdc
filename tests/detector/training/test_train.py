"""Training a few steps on a tiny generated dataset, per-epoch metrics, and an exact resume after a kill."""

from __future__ import annotations

import json
import re

import pytest
import torch
from safetensors.torch import load_file

from veracity.detector.training.augment import AugmentCfg
from veracity.detector.training.train import TrainCfg, train

pytestmark = pytest.mark.torch


def _cfg(data, out, **kw):
    return TrainCfg(
        data=(str(data),),
        out=str(out),
        backbone="mobilenetv3_small_050",
        crop=64,
        batch_size=8,
        epochs=2,
        steps_per_epoch=2,
        val_fraction=0.5,
        val_crops=1,
        augment=AugmentCfg(crop=64),
        **kw,
    )


def test_training_writes_metrics_checkpoint_and_weights(tiny_dataset, tmp_path):
    result = train(_cfg(tiny_dataset, tmp_path / "run"), log=lambda _: None)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in lines] == [0, 1]
    assert {"train_loss", "val_auroc", "val_loss"} <= set(lines[0])
    assert result.weights.is_file() and (tmp_path / "run" / "last.pt").is_file()
    assert not list((tmp_path / "run").glob("*.tmp"))


class _Killed(Exception):
    pass


def test_a_killed_run_resumes_to_the_same_weights(tiny_dataset, tmp_path):
    straight = train(_cfg(tiny_dataset, tmp_path / "straight"), log=lambda _: None)

    def kill_during_second_epoch(message):
        if message.startswith("{") and json.loads(message)["epoch"] == 1:
            raise _Killed  # after epoch 1's metrics, before its checkpoint: like a kill mid-epoch

    with pytest.raises(_Killed):
        train(_cfg(tiny_dataset, tmp_path / "killed"), log=kill_during_second_epoch)
    resumed_log = []
    resumed = train(_cfg(tiny_dataset, tmp_path / "killed"), log=resumed_log.append)
    assert any("resumed" in line for line in resumed_log)
    a, b = load_file(str(straight.weights)), load_file(str(resumed.weights))
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=f"weights differ after resume at {key}")


def test_resume_refuses_a_checkpoint_of_another_config(tiny_dataset, tmp_path):
    train(_cfg(tiny_dataset, tmp_path / "run"), log=lambda _: None)
    with pytest.raises(ValueError, match="another config"):
        train(_cfg(tiny_dataset, tmp_path / "run", lr=1e-4), log=lambda _: None)


def test_veracity_train_packages_a_loadable_detector(tiny_dataset, tmp_path):
    from click.testing import CliRunner

    from veracity.cli.main import main
    from veracity.detector.models.forensic import load_detector

    args = [
        "train",
        str(tiny_dataset),
        "--out",
        str(tmp_path / "run"),
        "--epochs",
        "1",
        "--steps-per-epoch",
        "1",
        "--batch-size",
        "8",
        "--crop",
        "64",
        "--backbone",
        "mobilenetv3_small_050",
        "--name",
        "npr_mnv3s.tiny",
        "--package",
        str(tmp_path / "det"),
        "--calibrate-on",
        str(tiny_dataset),
        "--n-tiles",
        "4",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    detector = load_detector(tmp_path / "det")
    assert detector.name == "npr_mnv3s.tiny" and detector.cfg.calibrated
    assert detector.cfg.bands[1] == detector.cfg.threshold
    # An unregistered name still loads by path, in check and in the harness.
    image = tiny_dataset / "real" / "src0__real.png"
    checked = CliRunner().invoke(main, ["check", str(image), "--detector", str(tmp_path / "det"), "--format", "json"])
    assert checked.exit_code == 0, checked.output
    (report,) = json.loads(checked.stdout)
    classifier = next(s for s in report["signals"] if s["name"] == "classifier")
    assert classifier["details"]["detector"] == "npr_mnv3s.tiny"
    bench_args = ["bench", "run", "--data", str(tiny_dataset), "--detector", str(tmp_path / "det"), "--perturb", "none",
                  "--folds", "0", "--workers", "0", "-o", str(tmp_path / "b")]  # fmt: skip
    bench = CliRunner().invoke(main, bench_args)
    assert bench.exit_code == 0, bench.output


def _as_layout(tiny, root, layout: str):
    """The tiny dataset's files rearranged into a harness layout: ForenSynths, GenImage or a JSONL manifest."""
    import shutil

    pairs = [(p, 0) for p in sorted((tiny / "real").glob("*.png"))] + [
        (p, 1) for p in sorted((tiny / "fake" / "toy").glob("*.png"))
    ]
    rows = []
    for path, label in pairs:
        if layout == "forensynths":
            target = root / "toy" / ("1_fake" if label else "0_real") / path.name
        elif layout == "genimage":
            target = root / "toy" / "train" / ("ai" if label else "nature") / path.name
        else:
            target = root / "images" / path.name
            rows.append({"path": f"images/{path.name}", "label": "fake" if label else "real", "source": path.name[:4]})
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    if rows:
        (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root


@pytest.mark.parametrize("layout", ["forensynths", "genimage"])
def test_veracity_train_reads_every_harness_layout(tiny_dataset, tmp_path, layout):
    from click.testing import CliRunner

    from veracity.cli.main import main
    from veracity.detector.models.forensic import load_detector

    data = _as_layout(tiny_dataset, tmp_path / layout, layout)
    calibration = _as_layout(tiny_dataset, tmp_path / "manifest", "manifest")
    args = ["train", str(data), "--out", str(tmp_path / "run"), "--epochs", "1", "--steps-per-epoch", "1"]
    args += ["--batch-size", "8", "--crop", "64", "--backbone", "mobilenetv3_small_050", "--n-tiles", "2"]
    args += ["--package", str(tmp_path / "det"), "--calibrate-on", str(calibration / "manifest.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    real, generated, validation = map(
        int, re.search(r"train: (\d+) real \+ (\d+) generated images; validation: (\d+)", result.output).groups()
    )
    assert real and generated and real + generated + validation == 8  # every image, each on one side
    cfg = load_detector(tmp_path / "det").cfg
    assert cfg.calibrated and cfg.params["calibration"]["images"] == 8


def test_veracity_train_starts_from_given_weights(tiny_dataset, tmp_path):
    from click.testing import CliRunner
    from safetensors.torch import load_file, save_file

    from veracity.cli.main import main
    from veracity.detector.training.network import build_model

    torch.manual_seed(3)
    start = {k: v.contiguous() for k, v in build_model("mobilenetv3_small_050", "rgb").state_dict().items()}
    save_file(start, str(tmp_path / "start.safetensors"))
    data = _as_layout(tiny_dataset, tmp_path / "manifest", "manifest")
    args = ["train", str(data / "manifest.jsonl"), "--out", str(tmp_path / "run"), "--epochs", "1"]
    args += ["--steps-per-epoch", "1", "--batch-size", "8", "--crop", "64", "--backbone", "mobilenetv3_small_050"]
    args += ["--stem", "rgb", "--lr", "1e-9", "--init", str(tmp_path / "start.safetensors")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    trained = load_file(str(tmp_path / "run" / "model.safetensors"))
    # One step at a negligible learning rate: the convolutions are still the start's, not a fresh draw.
    key = "backbone.conv_stem.weight"
    torch.testing.assert_close(trained[key], start[key], rtol=1e-4, atol=1e-6)


def test_veracity_train_names_a_folder_it_cannot_read(tmp_path):
    from click.testing import CliRunner

    from veracity.cli.main import main

    (tmp_path / "photos").mkdir()
    result = CliRunner().invoke(main, ["train", str(tmp_path / "photos"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 1 and "photos" in result.output and "Traceback" not in result.output


def test_validation_samples_rebuild_the_runs_held_out_groups(tiny_dataset, tmp_path):
    from veracity.detector.training.heldout import validation_samples

    logs = []
    train(_cfg(tiny_dataset, tmp_path / "run"), log=logs.append)
    held_out = validation_samples(tmp_path / "run")
    n_val = int(re.search(r"validation: (\d+) images", next(m for m in logs if "validation:" in m)).group(1))
    assert len(held_out) == n_val > 0
    with pytest.raises(FileNotFoundError, match="has not finished"):
        validation_samples(tmp_path / "nothing")

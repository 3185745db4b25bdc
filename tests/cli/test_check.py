"""``veracity check``: formats, exit codes, bad inputs in a batch, stdin, and fast start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.images import png_with_text, textured
from veracity.cli.main import main

A1111 = "a castle\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model: sd15"


@pytest.fixture
def files(tmp_path):
    gen = png_with_text(tmp_path / "gen.png", {"parameters": A1111})
    plain = tmp_path / "plain.jpg"
    textured().save(plain)
    broken = tmp_path / "broken.jpg"
    broken.write_text("not an image")
    return gen, plain, broken


def test_text_report_says_what_decided_and_what_was_not_checked(files):
    gen, plain, _ = files
    result = CliRunner().invoke(main, ["check", str(gen), str(plain)])
    assert result.exit_code == 0, result.output
    assert "Verdict: GENERATED" in result.stdout
    assert "Decided by: metadata" in result.stdout
    assert "AUTOMATIC1111" in result.stdout
    assert "Verdict: INCONCLUSIVE" in result.stdout
    assert result.stderr == ""


def test_jsonl_is_one_valid_record_per_file_and_errors_go_on(files, validate_record):
    gen, plain, broken = files
    result = CliRunner().invoke(main, ["check", str(gen), str(broken), str(plain), "--format", "jsonl"])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    records = [validate_record(json.loads(line)) for line in lines]
    assert [r["record_type"] for r in records] == ["report", "error", "report"]
    assert records[1]["error"]["kind"] == "UnsupportedMediaError"
    assert f"error: {broken}: not a supported image" in result.stderr
    assert "Traceback" not in result.output


def test_json_is_one_array(files, validate_record):
    gen, plain, _ = files
    result = CliRunner().invoke(main, ["check", str(gen), str(plain), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [validate_record(r)["verdict"]["label"] for r in data] == ["generated", "inconclusive"]


def test_fail_on_exits_3_and_errors_win(files):
    gen, plain, broken = files
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(gen), "--fail-on", "generated"]).exit_code == 3
    assert runner.invoke(main, ["check", str(plain), "--fail-on", "generated"]).exit_code == 0
    assert runner.invoke(main, ["check", str(gen), str(broken), "--fail-on", "generated"]).exit_code == 1
    assert runner.invoke(main, ["check", str(broken), "--fail-on", "error"]).exit_code == 1
    usage = runner.invoke(main, ["check", str(gen), "--fail-on", "fake"])
    assert usage.exit_code == 2 and "'fake' is not one of" in usage.stderr


def test_directories_globs_and_stdin(tmp_path, files):
    gen, plain, _ = files
    nested = tmp_path / "sub" / "deeper"
    nested.mkdir(parents=True)
    textured().save(nested / "x.png")
    (tmp_path / "sub" / "README.md").write_text("not media, skipped in a directory walk")
    runner = CliRunner()
    walked = runner.invoke(main, ["check", str(tmp_path / "sub"), "--format", "jsonl"])
    assert walked.exit_code == 0 and len(walked.stdout.splitlines()) == 1
    globbed = runner.invoke(main, ["check", str(tmp_path / "*.png"), "--format", "jsonl"])
    assert [json.loads(x)["input"] for x in globbed.stdout.splitlines()] == [str(gen)]
    piped = runner.invoke(main, ["check", "-", "--format", "jsonl"], input=f"{gen}\n{plain}\n")
    assert len(piped.stdout.splitlines()) == 2


def test_missing_path_and_empty_directory_are_one_line_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.jpg"), str(tmp_path / "empty")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'nope.jpg'}: no such file or directory.",
        f"error: {tmp_path / 'empty'}: the directory contains no image, video, audio or document files.",
    ]


def test_pixel_limit_option(tmp_path):
    path = tmp_path / "wide.png"
    textured(200, 100).save(path)
    result = CliRunner().invoke(main, ["check", str(path), "--max-pixels", "1000"])
    assert result.exit_code == 1
    assert "20,000 pixels (200x100), over the limit of 1,000 pixels" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["check", "--help"]])
def test_light_commands_do_not_import_torch(args):
    code = (
        "import sys\nfrom veracity.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'timm', 'torchvision', 'onnxruntime') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY []"


def test_check_on_an_image_does_not_import_torch(files):
    gen, _, _ = files
    code = (
        "import sys\nfrom veracity.cli.main import main\n"
        f"try:\n    main(['check', {str(gen)!r}])\nexcept SystemExit:\n    pass\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "TORCH False"


def test_listed_summaries_match_each_commands_help():
    import click

    from veracity.cli.main import COMMAND_SUMMARIES, LAZY_COMMANDS

    ctx = click.Context(main)
    for name in LAZY_COMMANDS:
        command = main.get_command(ctx, name)
        first_line = (command.help or "").strip().splitlines()[0]
        assert COMMAND_SUMMARIES.get(name, first_line) == first_line, name

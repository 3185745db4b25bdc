"""Issue 14, command-line side: clean one-line errors, JSON records for programs, read-only folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.images import textured
from veracity.cli.main import main


def test_provenance_read_json_prints_a_record_for_an_unreadable_file(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    for command in ("read", "verify"):
        result = CliRunner().invoke(main, ["provenance", command, str(empty), "--format", "json"])
        assert result.exit_code == 1
        record = json.loads(result.stdout)
        assert record["input"] == str(empty) and record["error"]["kind"] == "EmptyAssetError"
        assert result.stderr.strip().splitlines() == [f"Error: {empty}: the file is empty (0 bytes)."]


def test_a_newline_in_a_file_name_keeps_one_error_line_per_file(tmp_path):
    bad = tmp_path / "two\nlines.jpg"
    bad.write_text("not an image")
    result = CliRunner().invoke(main, ["check", str(bad), "--no-detector"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        lines[0]
        == f"error: {tmp_path}/two\\nlines.jpg: not a supported image, video, audio or document file; "
        + (lines[0].split("document file; ", 1)[1])
    )
    assert lines[1:] == ["1 file(s) could not be analysed."]


def _in_read_only_folder(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``veracity ARGS`` with ``tmp_path/ro`` a read-only file system (EROFS), in a private mount namespace."""
    unshare = shutil.which("unshare")
    if not unshare or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare cannot make a private mount namespace here")
    folder = tmp_path / "ro"
    folder.mkdir(exist_ok=True)
    script = 'mount -t tmpfs -o ro tmpfs "$1" && shift && exec "$@"'
    command = [unshare, "-rm", "sh", "-c", script, "sh", str(folder), sys.executable, "-m", "veracity.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_keygen_and_sign_into_a_read_only_file_system_are_one_line_errors(tmp_path):
    result = _in_read_only_folder(tmp_path, "provenance", "keygen", str(tmp_path / "ro" / "creds"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"Error: Cannot create the folder {tmp_path}/ro/creds (Read-only file system). " + (
        "Choose a writable folder."
    )
    made = CliRunner().invoke(main, ["provenance", "keygen", str(tmp_path / "creds")])
    assert made.exit_code == 0
    src = tmp_path / "in.jpg"
    textured().save(src)
    creds = tmp_path / "creds"
    args = ["provenance", "sign", str(src), "-o", str(tmp_path / "ro" / "out.jpg"), "--source-type", "digitalCapture"]
    args += ["--cert", str(creds / "dev-signer-chain.pem"), "--key", str(creds / "dev-signer-key.pem")]
    result = _in_read_only_folder(tmp_path, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"Error: Cannot write into {tmp_path}/ro (Read-only file system).")


def test_jsonl_records_stay_one_line_for_every_line_reader(tmp_path):
    # Found by the fuzzer: an EXIF camera name with a NEL (U+0085) split check's JSONL line for readers that
    # split on every Unicode line break (Python's str.splitlines, JavaScript). The EXIF reader now drops
    # unprintable text, and the JSON writer escapes NEL, LS and PS wherever they still come from.
    from tests.images import jpeg_with_exif
    from veracity.provenance.report import json_line

    path = jpeg_with_exif(tmp_path / "odd.jpg", {0x010F: b"Cam\x85era"})  # Pillow reads the byte as U+0085
    result = CliRunner().invoke(main, ["check", str(path), "--no-detector", "--format", "jsonl"])
    (line,) = result.stdout.splitlines()
    assert "\x85" not in line
    out = tmp_path / "o.jsonl"
    assert CliRunner().invoke(main, ["scan", str(path), "-o", str(out), "--no-detector", "--quiet"]).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    value = {"make": "Cam\x85era", "note": "a\u2028b\u2029c", "plain": "é"}
    (text,) = json_line(value).splitlines()
    assert "\\u0085" in text and "\\u2028" in text and "é" in text
    assert json.loads(text) == value

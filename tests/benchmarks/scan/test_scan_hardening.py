"""Issue 14, scan side: each way a scan lost, repeated or refused records, rebuilt from files the test makes."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from tests.images import png_with_text, textured
from tests.paths import REPO
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.scan.records import read_records
from veracity.benchmarks.scan.run import run_scan
from veracity.benchmarks.scan.settings import ScanOptions, ScanSettings
from veracity.cli.main import main

SCHEMA = json.loads((REPO / "provenance/schemas/scan-record.schema.json").read_text())
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model: sd15"
NO_DETECTOR = ScanSettings(detector=None)


def _records(path: Path, fmt: str = "jsonl") -> list[dict]:
    records = list(read_records(path, fmt))
    for record in records:
        jsonschema.validate(record, SCHEMA)
    return records


def _folder(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(n):
        textured(64 + i, 48, seed=i).save(folder / f"img{i}.jpg", quality=85)
    return folder


def _cli(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "veracity.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)


def test_fifo_in_a_scanned_folder_never_blocks_first_run_rerun_or_dedupe(tmp_path):
    folder = _folder(tmp_path, 1)
    os.mkfifo(folder / "p.jpg")
    out = tmp_path / "o.jsonl"
    codes = []
    for extra in ([], [], ["--dedupe"]):  # the rerun and --dedupe hashed the FIFO, and blocked forever
        codes.append(
            _cli("scan", str(folder), "-o", str(out), "--no-detector", "--quiet", *extra, timeout=60).returncode
        )
    assert codes == [1, 0, 0]  # the reruns have nothing left to do
    records = _records(out)
    assert sorted(Path(r["path"]).name for r in records) == ["img0.jpg", "p.jpg"]
    (fifo,) = [r for r in records if r["error"]]
    assert fifo["error"]["kind"] == "AssetAccessError" and "FIFO" in fifo["error"]["message"]


def test_non_utf8_file_names_are_recorded_losslessly_and_resumed(tmp_path):
    folder = _folder(tmp_path, 2)
    name = os.fsdecode(b"caf\xe9-\xff.jpg")  # Latin-1 bytes: not UTF-8
    shutil.copy(folder / "img0.jpg", folder / name)
    textured(70, 50, seed=9).save(folder / "zzz-after.jpg")  # sorted after the bad name: it was never scanned
    out = tmp_path / "o.jsonl"
    first = run_scan([str(folder)], out, ScanOptions(workers=1, settings=NO_DETECTOR))
    again = run_scan([str(folder)], out, ScanOptions(workers=1, settings=NO_DETECTOR))
    assert (first.scanned, first.errors, again.scanned, again.skipped_done) == (4, 0, 0, 4)
    records = _records(out)
    (odd,) = [r for r in records if r["path_bytes"]]
    assert odd["path"].endswith("/caf\\xe9-\\xff.jpg")
    assert os.fsdecode(base64.b64decode(odd["path_bytes"])) == os.path.abspath(folder / name)
    assert all(r["path_bytes"] is None for r in records if r is not odd)
    out.read_bytes().decode("utf-8")  # the output is valid UTF-8 throughout


def test_error_records_are_recognised_on_resume(tmp_path):
    folder = _folder(tmp_path, 1)
    (folder / "notes.jpg").write_text("not an image")
    textured(400, 300).save(folder / "big.png")  # over --max-bytes below: refused before it is read
    out = tmp_path / "o.jsonl"
    args = ["scan", str(folder), str(tmp_path / "missing.jpg"), "-o", str(out), "--no-detector", "--quiet"]
    codes = [CliRunner().invoke(main, [*args, "--max-bytes", "100000"]).exit_code for _ in range(3)]
    assert codes == [1, 0, 0]
    records = _records(out)
    assert len(records) == 4  # not 4 more on every rerun
    big = next(r for r in records if r["path"].endswith("big.png"))
    assert big["error"]["kind"] == "AssetLimitError" and big["sha256"]  # the hash makes it recognisable


def test_resume_matches_files_however_they_are_spelled(tmp_path, monkeypatch):
    folder = _folder(tmp_path, 3)
    out = tmp_path / "o.jsonl"
    monkeypatch.chdir(tmp_path)
    run_scan(["in"], out, ScanOptions(workers=1, settings=NO_DETECTOR))
    again = run_scan([str(folder), "./in/../in/img0.jpg"], out, ScanOptions(workers=1, settings=NO_DETECTOR))
    assert (again.scanned, again.skipped_done) == (0, 3)
    assert all(Path(r["path"]).is_absolute() for r in _records(out))


def test_a_second_scan_on_the_same_output_stops_at_once(tmp_path):
    folder = _folder(tmp_path, 1)
    out = tmp_path / "o.jsonl"
    run_scan([str(folder)], out, ScanOptions(workers=0, settings=NO_DETECTOR))
    before = out.read_bytes()
    with out.open("rb") as held:  # what a running scan holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = _cli("scan", str(folder), "-o", str(out), "--no-detector", "--quiet", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {out} is being written by another veracity scan (it holds a lock on o.jsonl). "
        "Wait for that scan to finish, or choose another output."
    ]
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [b'{"foo": 1}', b"name,size\nx,1", b"\x00\x93\xffrandom", b'{"schema_version": "1.1.0", "path": "x"}\n{"foo": 1}'],
    ids=["one-line-json", "one-line-csv", "random-bytes", "scan-then-foreign"],
)
def test_an_existing_file_that_is_not_a_scan_output_is_never_touched(tmp_path, content):
    folder = _folder(tmp_path, 1)
    out = tmp_path / "r.json"
    out.write_bytes(content)
    result = CliRunner().invoke(main, ["scan", str(folder), "-o", str(out), "--no-detector", "--quiet"])
    assert result.exit_code == 1
    assert "is not a veracity scan output; it was left untouched" in result.stderr
    assert out.read_bytes() == content
    assert not (tmp_path / "r.json.unlisted.jsonl").exists()


def test_a_record_cut_by_a_kill_is_repaired_and_only_that(tmp_path):
    folder = _folder(tmp_path, 2)
    out = tmp_path / "o.jsonl"
    run_scan([str(folder / "img0.jpg")], out, ScanOptions(workers=0, settings=NO_DETECTOR))
    with out.open("ab") as handle:
        handle.write(b'{"schema_version": "1.1.0", "path": "/x/img1.j')  # a kill mid-record
    summary = run_scan([str(folder)], out, ScanOptions(workers=0, settings=NO_DETECTOR))
    assert summary.scanned == 1 and len(_records(out)) == 2


def _ignore_sigxfsz_and_limit(size: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def _scan_into_full_disk(folder: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Scan ``folder`` where the output cannot grow past a few KiB; return the result and the output as left.

    On a 16 KiB tmpfs in a private mount namespace (a real ENOSPC) when this machine allows that, else
    under a file-size limit (EFBIG). Either way a write fails part-way through a record, as on a full disk.
    """
    left = tmp_path / "left.jsonl"
    args = [sys.executable, "-m", "veracity.cli", "scan", str(folder), "--no-detector", "--quiet", "-o"]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode == 0:
        full = tmp_path / "full"
        full.mkdir()
        script = (
            'mount -t tmpfs -o size=16k tmpfs "$1" && shift && "$@" "$D/o.jsonl"; c=$?; cp "$D/o.jsonl" "$L"; exit $c'
        )
        command = [unshare, "-rm", "sh", "-c", script, "sh", str(full), *args]
        env = {**os.environ, "D": str(full), "L": str(left)}
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env), left
    limit = _ignore_sigxfsz_and_limit(8192)
    return subprocess.run([*args, str(left)], capture_output=True, text=True, timeout=120, preexec_fn=limit), left


def test_disk_full_is_one_line_exit_1_and_the_output_resumes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(40):  # long names make long records: the output outgrows the space quickly
        png_with_text(folder / (f"{i:03d}-" + "n" * 150 + ".png"), {"parameters": A1111}, size=(32, 32))
    result, left = _scan_into_full_disk(folder, tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "No space left on device" in lines[0] or "File too large" in lines[0]
    assert "The records written so far are complete" in lines[0] and "run the same command again" in lines[0]
    data = left.read_bytes()
    assert data.endswith(b"\n") and 0 < data.count(b"\n") < 40  # no torn last line
    done = run_scan([str(folder)], left, ScanOptions(workers=1, settings=NO_DETECTOR))
    assert done.scanned == 40 - data.count(b"\n")
    assert sorted(r["path"] for r in _records(left)) == sorted(str(p) for p in folder.iterdir())


def test_unknown_detector_is_a_clean_error_and_leaves_no_files(tmp_path):
    folder = _folder(tmp_path, 1)
    out = tmp_path / "o.jsonl"
    result = _cli("scan", str(folder), "-o", str(out), "--detector", "nosuch", "--quiet")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "before it was ready" not in result.stderr
    assert "Unknown detector 'nosuch'." in result.stderr and "Available:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    checked = _cli("check", str(folder), "--detector", "nosuch")
    assert (
        checked.returncode == 1 and "Traceback" not in checked.stderr and "Unknown detector 'nosuch'." in checked.stderr
    )


def test_in_process_scan_and_consistent_counts(tmp_path):
    folder = _folder(tmp_path, 2)
    png_with_text(folder / "gen.png", {"parameters": A1111})
    (folder / "notes.jpg").write_text("not an image")
    out = tmp_path / "o.jsonl"
    stream = _Stream()
    progress = Progress(None, "scan", stream=stream)
    result = CliRunner().invoke(
        main, ["scan", str(folder), "-o", str(out), "--workers", "0", "--no-detector", "--quiet"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    out.unlink()
    summary = run_scan(
        [str(folder)], out, ScanOptions(workers=2, settings=NO_DETECTOR, only=("generated",)), progress=progress
    )
    assert (summary.errors, progress.errors) == (1, 1)
    assert stream.text.strip().endswith("errors 1")
    assert (summary.written, summary.set_aside) == (1, 3)
    assert [Path(r["path"]).name for r in _records(out)] == ["gen.png"]
    assert summary.to_dict()["records_written"] == 1
    # A run without --only lists everything: the records set aside move into the output, the side file goes.
    rest = run_scan([str(folder)], out, ScanOptions(workers=1, settings=NO_DETECTOR))
    assert rest.scanned == 0 and len(_records(out)) == 4
    assert not (tmp_path / "o.jsonl.unlisted.jsonl").exists()


class _Stream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_parquet_has_typed_nested_columns_one_schema_per_run(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    folder = _folder(tmp_path, 1)
    png_with_text(folder / "gen.png", {"parameters": A1111})
    (folder / "notes.jpg").write_text("not an image")
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    run_scan([str(folder / "img0.jpg")], first, ScanOptions(workers=0, settings=NO_DETECTOR))  # all-null columns
    run_scan([str(folder)], second, ScanOptions(workers=0, settings=NO_DETECTOR))
    import pyarrow.parquet as pq

    assert pq.read_schema(first) == pq.read_schema(second)
    rows = duckdb.sql(
        f"SELECT parse_filename(path) AS name, error.kind AS kind, watermark.status AS wm, reasons[1] AS reason, "
        f"timings_ms.total > 0 AS timed, metadata_findings[1].implies AS implies FROM read_parquet('{second}') "
        "ORDER BY name"
    ).fetchall()
    assert [(r[0], r[1], r[5]) for r in rows] == [
        ("gen.png", None, "generated"),
        ("img0.jpg", None, None),
        ("notes.jpg", "UnsupportedMediaError", None),
    ]
    assert rows[0][2] == "not_applicable" and "Stable Diffusion" in rows[0][3] and rows[0][4] is True
    frame = pd.read_parquet(second)
    assert isinstance(frame.loc[0, "error"], dict | type(None)) and frame["size"].dtype == "int64"
    assert str(pq.read_schema(first).field("c2pa_signer").type) == "string"  # never type null


def test_a_wav_the_c2pa_reader_cannot_parse_is_unreadable_not_absent(tmp_path):
    data = b"RIFF" + struct.pack("<I", 9_999_999) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    data += b"data" + struct.pack("<I", 999_999) + b"\x00" * 100 + b"LIST\xff\xff\xff\xff"
    (tmp_path / "bad.wav").write_bytes(data)
    out = tmp_path / "o.jsonl"
    run_scan([str(tmp_path / "bad.wav")], out, ScanOptions(workers=0, settings=NO_DETECTOR))
    (record,) = _records(out)
    assert record["c2pa_state"] == "unreadable"


def _slow_png(path: Path, side: int = 9000) -> Path:
    """A real PNG of zeros that takes seconds to decode (81 MP), built row by row in a few hundred ms."""
    compressor = zlib.compressobj(1)
    row = b"\x00" * (side * 3 + 1)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


@pytest.mark.slow
def test_a_file_over_the_time_budget_is_a_timeout_record_and_the_batch_goes_on(tmp_path):
    folder = _folder(tmp_path, 2)
    _slow_png(folder / "a-slow.png")
    out = tmp_path / "o.jsonl"
    result = _cli("scan", str(folder), "-o", str(out), "--no-detector", "--quiet", "--workers", "1", "--timeout", "0.5")
    assert result.returncode == 1, result.stderr
    records = {Path(r["path"]).name: r for r in _records(out)}
    assert records["a-slow.png"]["error"]["kind"] == "TimeoutError"
    assert "time budget of 0.5 s" in records["a-slow.png"]["error"]["message"] and records["a-slow.png"]["sha256"]
    assert records["img0.jpg"]["error"] is None and records["img1.jpg"]["error"] is None  # after the replaced worker
    summary = json.loads(result.stderr)
    assert summary["timeouts"] == 1 and summary["errors"] == 1
    checked = _cli(
        "check", str(folder), "--no-detector", "--format", "jsonl", env={**os.environ, "VERACITY_TIMEOUT": "0.5"}
    )
    lines = [json.loads(line) for line in checked.stdout.splitlines()]
    assert [r["record_type"] for r in lines] == ["error", "report", "report"]
    assert lines[0]["error"]["kind"] == "TimeoutError"
    assert checked.stderr.splitlines()[0].startswith("error: ") and "time budget of 0.5 s" in checked.stderr

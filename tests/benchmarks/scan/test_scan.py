"""`veracity scan`: one record per file, resume after SIGKILL, crash isolation, dedupe, both engines."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from tests.images import png_bomb, png_with_text, textured
from tests.paths import C2PA_FIXTURES, REPO
from veracity.benchmarks.scan.records import read_records
from veracity.benchmarks.scan.run import run_scan
from veracity.benchmarks.scan.settings import ScanOptions, ScanSettings
from veracity.cli.main import main

SCHEMA = json.loads((REPO / "provenance/schemas/scan-record.schema.json").read_text())
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model: sd15"


def make_corpus(folder: Path, n_good: int = 12, hostile: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_good):
        path = folder / f"img{i:03d}.jpg"
        textured(64 + i, 48, seed=i).save(path, quality=85)
        paths.append(path)
    paths.append(png_with_text(folder / "generated.png", {"parameters": A1111}))
    if hostile:
        (folder / "notes.jpg").write_text("not an image")
        jpeg = (folder / "img000.jpg").read_bytes()
        (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
        paths += [folder / "notes.jpg", folder / "truncated.jpg", png_bomb(folder / "bomb.png", 20000, 20000)]
    return paths


def _records(path: Path, fmt: str = "jsonl") -> list[dict]:
    records = list(read_records(path, fmt))
    for record in records:
        jsonschema.validate(record, SCHEMA)
    return records


def test_scan_writes_one_valid_record_per_file_and_goes_on(tmp_path):
    paths = make_corpus(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    summary = run_scan([str(tmp_path / "in")], out, ScanOptions(workers=2))
    records = _records(out)
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in paths)
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["generated.png"]["verdict"] == "generated"
    assert by_name["generated.png"]["deciding_signal"] == "metadata"
    assert by_name["notes.jpg"]["error"]["kind"] == "UnsupportedMediaError"
    assert by_name["truncated.jpg"]["error"]["kind"] == "CorruptAssetError"
    assert by_name["bomb.png"]["error"]["kind"] == "AssetLimitError"
    assert by_name["truncated.jpg"]["sha256"]  # what was read is kept
    assert summary.errors == 3 and summary.scanned == len(paths)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_outputs_resume(tmp_path, fmt):
    make_corpus(tmp_path / "in", n_good=4, hostile=False)
    out = tmp_path / f"out.{fmt}"
    first = run_scan([str(tmp_path / "in")], out)
    again = run_scan([str(tmp_path / "in")], out)
    assert (first.scanned, again.scanned, again.skipped_done) == (5, 0, 5)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        assert table.num_rows == 5 and table.column_names[:4] == ["schema_version", "path", "path_bytes", "sha256"]
    assert len(_records(out, fmt)) == 5


def test_changed_file_is_rescanned_and_unchanged_skipped(tmp_path):
    paths = make_corpus(tmp_path / "in", n_good=3, hostile=False)
    out = tmp_path / "out.jsonl"
    run_scan([str(tmp_path / "in")], out)
    textured(80, 80, seed=99).save(paths[0], quality=70)
    summary = run_scan([str(tmp_path / "in")], out)
    assert (summary.scanned, summary.skipped_done) == (1, 3)
    assert sum(r["path"] == str(paths[0]) for r in _records(out)) == 2  # old and new content, both kept


def test_dedupe_scores_identical_content_once(tmp_path):
    paths = make_corpus(tmp_path / "in", n_good=2, hostile=False)
    shutil.copy(paths[-1], tmp_path / "in" / "copy-of-generated.png")
    out = tmp_path / "out.jsonl"
    summary = run_scan([str(tmp_path / "in")], out, ScanOptions(dedupe=True))
    assert (summary.scanned, summary.duplicates) == (3, 1)
    (repeat,) = [r for r in _records(out) if r["duplicate_of"]]
    # The walk is sorted, so the copy is scored first and the original refers to it.
    assert repeat["path"].endswith("/generated.png") and repeat["duplicate_of"].endswith("copy-of-generated.png")
    assert repeat["verdict"] == "generated"


def test_only_writes_flagged_records_and_still_resumes(tmp_path):
    make_corpus(tmp_path / "in", n_good=3, hostile=False)
    out = tmp_path / "out.jsonl"
    run_scan([str(tmp_path / "in")], out, ScanOptions(only=("generated",)))
    assert [Path(r["path"]).name for r in _records(out)] == ["generated.png"]
    assert run_scan([str(tmp_path / "in")], out, ScanOptions(only=("generated",))).scanned == 0


def test_existing_foreign_output_is_never_truncated(tmp_path):
    make_corpus(tmp_path / "in", n_good=1, hostile=False)
    out = tmp_path / "notes.jsonl"
    out.write_text("my own notes, not a scan\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "in"), "-o", str(out), "--quiet", "--no-detector"])
    assert result.exit_code == 1
    assert "is not a veracity scan output; it was left untouched" in result.stderr
    assert out.read_text() == "my own notes, not a scan\n"


def test_cli_summary_fail_on_and_exit_codes(tmp_path):
    make_corpus(tmp_path / "in", n_good=2, hostile=False)
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    args = ["scan", str(tmp_path / "in"), "-o", str(out), "--quiet", "--no-detector", "--summary", str(summary)]
    result = CliRunner().invoke(main, [*args, "--fail-on", "generated"])
    assert result.exit_code == 3, result.output
    assert json.loads(summary.read_text())["verdicts"] == {"generated": 1, "inconclusive": 2}
    assert result.stdout == ""


def _scan_process(inputs: Path, out: Path, env: dict | None = None) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "veracity.cli",
        "scan",
        str(inputs),
        "-o",
        str(out),
        "--workers",
        "2",
        "--no-detector",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0, 3, 9])
def test_sigkill_at_any_point_then_resume_gives_each_file_exactly_once(tmp_path, kill_after):
    paths = make_corpus(tmp_path / "in", n_good=16, hostile=True)
    out = tmp_path / "out.jsonl"
    process = _scan_process(tmp_path / "in", out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = out.read_bytes().count(b"\n") if out.exists() else 0
        if lines >= kill_after or process.poll() is not None:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _scan_process(tmp_path / "in", out).wait(timeout=120) == 1  # 1: the hostile files are errors
    data = out.read_bytes()
    assert data.endswith(b"\n")
    records = _records(out)
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in paths)


@pytest.mark.parametrize("engine", ["local", pytest.param("ray", marks=pytest.mark.ray)])
def test_a_file_that_kills_its_worker_costs_only_that_file(tmp_path, engine, monkeypatch):
    if engine == "ray":
        pytest.importorskip("ray.data")
    paths = make_corpus(tmp_path / "in", n_good=6, hostile=False)
    crasher = tmp_path / "in" / "CRASHME.jpg"
    textured().save(crasher)
    monkeypatch.setenv("VERACITY_TEST_CRASH_MARKER", "CRASHME")
    out = tmp_path / "out.jsonl"
    summary = run_scan([str(tmp_path / "in")], out, ScanOptions(engine=engine, workers=2))
    records = {Path(r["path"]).name: r for r in _records(out)}
    assert sorted(records) == sorted(p.name for p in [*paths, crasher])
    assert records["CRASHME.jpg"]["error"]["kind"] == "WorkerDied"
    assert "also when scanned alone" in records["CRASHME.jpg"]["error"]["message"]
    assert [n for n, r in records.items() if r["error"]] == ["CRASHME.jpg"]
    assert summary.worker_deaths >= 1


@pytest.mark.slow
@pytest.mark.ray
def test_local_and_ray_engines_give_the_same_records(shared, tmp_path):
    pytest.importorskip("ray.data")
    inputs = [str(shared / "data" / "wild-dev"), str(shared / "fixtures" / "c2pa" / "media")]
    local = {r["path"]: r for r in _scan_records(inputs, tmp_path / "local.jsonl", "local")}
    ray = {r["path"]: r for r in _scan_records(inputs, tmp_path / "ray.jsonl", "ray")}
    assert set(local) == set(ray) and len(local) == 277 + 77
    different = [p for p in local if local[p] != ray[p]]
    assert different == []


def _scan_records(inputs, out, engine):
    run_scan(inputs, out, ScanOptions(engine=engine, workers=2))
    records = _records(out)
    for record in records:
        record.pop("timings_ms")
    return records


def test_ray_engine_without_ray_says_how_to_install(tmp_path, monkeypatch):
    make_corpus(tmp_path / "in", n_good=1, hostile=False)
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from veracity.cli.main import main\n"
        f"main(['scan', {str(tmp_path / 'in')!r}, '-o', {str(tmp_path / 'o.jsonl')!r}, '--engine', 'ray', '--quiet'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert result.returncode == 1
    assert "pip install 'veracity[ray]'" in result.stderr


@pytest.mark.parametrize("engine", ["local", pytest.param("ray", marks=pytest.mark.ray)])
def test_object_storage_uris_are_read_as_bytes(tmp_path, engine):
    pytest.importorskip("pyarrow")
    if engine == "ray":
        pytest.importorskip("ray.data")
    paths = make_corpus(tmp_path / "bucket", n_good=2, hostile=False)
    (tmp_path / "bucket" / "notes.txt").write_text("not media: a prefix lists media files only")
    out = tmp_path / "out.jsonl"
    prefix = f"file://{tmp_path / 'bucket'}"
    missing = f"file://{tmp_path / 'nope.jpg'}"
    summary = run_scan([prefix, missing], out, ScanOptions(engine=engine, workers=2))
    records = {r["path"]: r for r in _records(out)}
    assert set(records) == {f"file://{p}" for p in paths} | {missing}
    assert records[f"file://{paths[-1]}"]["verdict"] == "generated"
    assert records[missing]["error"]["kind"] == "AssetNotFoundError"
    assert summary.errors == 1
    again = run_scan([prefix, missing], out, ScanOptions(engine=engine, workers=2))
    assert (again.scanned, again.skipped_done) == (0, 4)


def _alive(pid: int) -> bool:
    try:
        return b"ray" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@pytest.mark.ray
def test_ray_processes_left_by_a_killed_driver_are_ended_on_resume(tmp_path):
    pytest.importorskip("ray.data")
    paths = make_corpus(tmp_path / "in", n_good=24, hostile=False)
    out = tmp_path / "out.jsonl"
    state = tmp_path / "out.jsonl.ray-processes.json"
    command = [
        sys.executable,
        "-m",
        "cli",
        "scan",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "--engine",
        "ray",
        "--no-detector",
        "--quiet",
    ]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not state.exists() and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state.exists(), "the private Ray instance did not record its processes"
    pids = json.loads(state.read_text())["pids"]
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    # Whether Ray's processes outlive the driver depends on timing; whatever survived must be gone after resume.
    assert subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300).returncode == 0
    assert not any(_alive(pid) for pid in pids)
    assert not state.exists()
    assert sorted(r["path"] for r in _records(out)) == sorted(str(p) for p in paths)


def test_reaping_ends_recorded_ray_processes_and_spares_recycled_pids(tmp_path):
    from veracity.benchmarks.scan.ray_engine import reap_stray_processes

    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "raylet-stand-in"])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "unrelated"])
    try:
        state = tmp_path / "out.jsonl.ray-processes.json"
        state.write_text(json.dumps({"pids": [stray.pid, other.pid], "session_dir": "x"}))
        assert reap_stray_processes(state) == [stray.pid]
        assert stray.wait(timeout=10) == -signal.SIGKILL
        assert other.poll() is None  # its command line does not name ray: a recycled PID is never signalled
        assert not state.exists()
    finally:
        for process in (stray, other):
            process.kill()
            process.wait()


C2PA_FIXTURES = C2PA_FIXTURES


@pytest.mark.skipif(not C2PA_FIXTURES.exists(), reason="shared C2PA fixtures not found")
def test_cli_trust_and_limit_options_reach_the_workers(tmp_path):
    signed = C2PA_FIXTURES / "generated" / "gen_capture_es512.mp4"  # signed with the public test credentials
    anchors = C2PA_FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    textured(400, 300, seed=3).save(photo, quality=90)
    base = ["scan", str(signed), str(photo), "--quiet", "--no-detector", "--no-default-trust"]

    plain = tmp_path / "plain.jsonl"
    assert CliRunner().invoke(main, [*base, "-o", str(plain)]).exit_code == 0
    trusted = tmp_path / "trusted.jsonl"
    limited = ["--trust-anchors", str(anchors), "--max-pixels", "100000"]  # the photo has 120,000 pixels
    result = CliRunner().invoke(main, [*base, "-o", str(trusted), *limited, "--workers", "2"])
    assert result.exit_code == 1, result.output  # the photo is refused: an error record, exit code 1

    before = {Path(r["path"]).name: r for r in _records(plain)}
    after = {Path(r["path"]).name: r for r in _records(trusted)}
    assert before[signed.name]["c2pa_state"] == "valid" and before[signed.name]["verdict"] == "inconclusive"
    assert after[signed.name]["c2pa_state"] == "trusted" and after[signed.name]["verdict"] == "captured"
    assert before["photo.jpg"]["error"] is None
    assert after["photo.jpg"]["error"]["kind"] == "AssetLimitError"

    missing = CliRunner().invoke(main, [*base, "-o", str(tmp_path / "x.jsonl"), "--trust-anchors", "absent.pem"])
    assert missing.exit_code == 2 and "absent.pem" in missing.output


@pytest.mark.skipif(not C2PA_FIXTURES.exists(), reason="shared C2PA fixtures not found")
def test_signer_column_names_the_organisation_not_the_common_name(tmp_path):
    signed = C2PA_FIXTURES / "generated" / "gen_ai-created_es256.jpg"
    expected = json.loads((C2PA_FIXTURES / "expected" / f"{signed.name}.json").read_text())["manifest"]["signature"]
    out = tmp_path / "out.jsonl"
    run_scan([str(signed)], out, ScanOptions(workers=0, settings=ScanSettings(detector=None)))
    (record,) = list(read_records(out, "jsonl"))
    assert record["c2pa_signer"] == expected["issuer"] != expected["common_name"]  # "C2PA Test Signing Cert"

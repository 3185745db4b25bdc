"""The committed corpus manifest: well formed, and free of every held-out and validation image."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from tests.paths import REPO, SHARED, WILD_DEV
from veracity.detector.trainingdata.corpus import MANIFEST_COLUMNS, load_hash_list

MANIFEST = REPO / "detector" / "trainingdata" / "corpus" / "manifest.csv.gz"


def _rows() -> list[dict[str, str]]:
    with gzip.open(MANIFEST, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_manifest_lists_both_classes_with_every_column():
    rows = _rows()
    assert rows and tuple(rows[0]) == MANIFEST_COLUMNS
    assert {r["label"] for r in rows} == {"real", "fake"}
    assert all(len(r["sha256"]) == 64 and len(r["git_blob"]) == 40 for r in rows)
    assert all(r["file"].startswith("real/" if r["label"] == "real" else "fake/") for r in rows)
    assert len({r["sha256"] for r in rows}) == len(rows)  # deduplicated by content


def test_manifest_holds_no_reserved_image():
    reserved_file = SHARED / "data" / "reserved-hashes.txt"
    if not reserved_file.is_file():
        pytest.skip(f"{reserved_file} is not here (the shared data sits beside the repository)")
    reserved = load_hash_list(reserved_file)
    hits = [r["file"] for r in _rows() if reserved.has_sha256(r["sha256"]) or reserved.has_blob(r["git_blob"])]
    assert hits == []


def test_manifest_holds_no_validation_image():
    wild_dev = WILD_DEV / "manifest.csv"
    if not wild_dev.is_file():
        pytest.skip(f"{wild_dev} is not here (the shared data sits beside the repository)")
    text = wild_dev.read_text(encoding="utf-8")
    held = {v for r in csv.DictReader(io.StringIO(text)) for k in ("sha256", "source_blob_sha256", "git_blob")
            if (v := r.get(k))}  # fmt: skip
    hits = [r["file"] for r in _rows() if r["sha256"] in held or r["git_blob"] in held]
    assert hits == []

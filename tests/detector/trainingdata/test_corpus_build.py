"""End-to-end build over small bare git snapshots made in the test."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.detector.trainingdata.corpus_snapshots import (
    blob_id,
    encode,
    grid_like,
    make_snapshot,
    photo_like,
    screenshot_like,
)
from veracity.detector.trainingdata.corpus import (
    MANIFEST_COLUMNS,
    BuildConfig,
    MirrorNotFoundError,
    OutputError,
    build_corpus,
)
from veracity.detector.trainingdata.corpus.__main__ import main

HEADER = "repo\tcommit\tsubset\tlicence\tlabel\tfamily\tgenerator\tinclude\texclude\tnotes\n"


@pytest.fixture
def corpus_inputs(tmp_path: Path) -> dict[str, object]:
    mirror, work = tmp_path / "mirror", tmp_path / "work"
    mirror.mkdir()
    work.mkdir()
    photo = encode(photo_like(1), quality=92)
    duplicate = photo  # same bytes again in the fake repo -> exact_duplicate
    reserved_by_sha = encode(photo_like(2), quality=92)
    reserved_by_blob = encode(photo_like(3), quality=92)
    near = encode(photo_like(1).resize((500, 375)), quality=70)  # resized re-encode of 'photo'
    real_files = {
        "photos/a_photo.jpg": photo,
        "photos/b_small.jpg": encode(photo_like(4, 200, 150), quality=92),
        "photos/b_tiny.png": encode(photo_like(9, 5, 4), "PNG"),
        "photos/c_reserved_sha.jpg": reserved_by_sha,
        "photos/d_reserved_blob.jpg": reserved_by_blob,
        "photos/e_screenshot.png": encode(screenshot_like(), "PNG"),
        "photos/f_near.jpg": near,
        "photos/g_corrupt.jpg": photo[: len(photo) // 3],
        "photos/h_second.png": encode(photo_like(5), "PNG"),
        "photos/skip/i_excluded.jpg": encode(photo_like(6), quality=92),
        "Urban100/img_001.png": encode(photo_like(7), "PNG"),
        "docs/readme.txt": b"not an image",
    }
    fake_files = {
        "out/single.webp": encode(photo_like(8), "WEBP", quality=90),
        "out/copy.jpg": duplicate,
        "out/grid.png": encode(grid_like(20), "PNG"),
    }
    real_commit = make_snapshot(mirror, "alice/photos", real_files, work)
    fake_commit = make_snapshot(mirror, "bob/gen", fake_files, work)
    sources = tmp_path / "sources.tsv"
    sources.write_text(
        HEADER
        + f"alice/photos\t{real_commit}\tmain\tMIT\treal\tcamera\ttest camera\t\\.(jpg|png)$\t/skip/\tnotes\n"
        + f"bob/gen\t{fake_commit}\tout\tCC0-1.0\tfake\tsdxl\tSDXL test\t^out/\t\tnotes\n",
        encoding="utf-8",
    )
    reserved = tmp_path / "reserved.txt"
    reserved.write_text(
        f"# test\nsha256 {hashlib.sha256(reserved_by_sha).hexdigest()}\ngitblob {blob_id(reserved_by_blob)}\n"
    )
    return {"mirror": mirror, "sources": sources, "reserved": reserved, "out": tmp_path / "corpus"}


def _config(inputs: dict[str, object], **extra: object) -> BuildConfig:
    return BuildConfig(
        mirror=inputs["mirror"],
        out=inputs["out"],
        sources=inputs["sources"],
        reserved=inputs["reserved"],
        **extra,
    )


def _manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_build_keeps_and_drops_exactly_what_it_should(corpus_inputs: dict[str, object]) -> None:
    report = build_corpus(_config(corpus_inputs))
    out = corpus_inputs["out"]
    rows = _manifest(out)
    files = sorted(r["file"] for r in rows)
    assert files == [
        "fake/sdxl/bob-gen__out-single.webp",
        "real/alice-photos__photos-a_photo.jpg",
        "real/alice-photos__photos-h_second.png",
    ]
    assert report.kept_by_label == {"fake": 1, "real": 2}
    assert report.kept_by_family == {"fake/sdxl": 1, "real/camera": 2}
    expected = {
        "too_small": 2,
        "reserved_hash": 2,
        "non_photographic": 1,
        "near_duplicate": 1,
        "corrupt": 1,
        "path_excluded": 1,
        "reserved_dataset_path": 1,
        "exact_duplicate": 1,
        "grid_or_collage": 1,
    }
    assert {k: v for k, v in report.drops_by_reason.items() if v} == expected
    assert report.dropped == sum(expected.values())
    on_disk = json.loads((out / "build-report.json").read_text())
    assert on_disk["drops_by_reason"]["reserved_hash"] == 2
    assert on_disk["by_source"]["alice/photos:main"]["kept"] == 2


def test_manifest_columns_values_and_bytes(corpus_inputs: dict[str, object]) -> None:
    build_corpus(_config(corpus_inputs))
    out = corpus_inputs["out"]
    with (out / "manifest.csv").open(newline="") as handle:
        assert tuple(next(csv.reader(handle))) == MANIFEST_COLUMNS
    rows = {r["original_path"]: r for r in _manifest(out)}
    photo = rows["photos/a_photo.jpg"]
    data = (out / photo["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == photo["sha256"]
    assert blob_id(data) == photo["git_blob"]
    assert (photo["label"], photo["generator_family"], photo["licence"]) == (
        "real",
        "camera",
        "MIT",
    )
    assert (photo["width"], photo["height"], photo["format"]) == ("512", "384", "JPEG")
    assert photo["group"] == "alice/photos:main"
    assert rows["out/single.webp"]["format"] == "WEBP"
    assert gzip.decompress((out / "manifest.csv.gz").read_bytes()) == (out / "manifest.csv").read_bytes()


def test_rerun_is_idempotent(corpus_inputs: dict[str, object]) -> None:
    first = build_corpus(_config(corpus_inputs))
    before = (corpus_inputs["out"] / "manifest.csv.gz").read_bytes()
    second = build_corpus(_config(corpus_inputs))
    assert first.written == 3 and second.written == 0 and second.already_present == 3
    assert second.drops_by_reason == first.drops_by_reason
    assert (corpus_inputs["out"] / "manifest.csv.gz").read_bytes() == before


def test_exclude_hashes_and_exclude_images(corpus_inputs: dict[str, object], tmp_path: Path) -> None:
    single = encode(photo_like(8), "WEBP", quality=90)
    excluded = tmp_path / "wild.txt"
    excluded.write_text(f"sha256 {hashlib.sha256(single).hexdigest()}\n")
    wild = tmp_path / "wild"
    wild.mkdir()
    photo_like(5).resize((400, 300)).save(wild / "similar.jpg", quality=80)  # near-copy of h_second
    report = build_corpus(_config(corpus_inputs, exclude_hashes=(excluded,), exclude_images=(wild,)))
    assert report.drops_by_reason["excluded_hash"] == 1
    assert report.drops_by_reason["near_duplicate_of_excluded"] == 1
    assert report.kept_by_label == {"real": 1}


def test_refuses_foreign_output_folder(corpus_inputs: dict[str, object]) -> None:
    out = corpus_inputs["out"]
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not empty and was not made by the corpus builder"):
        build_corpus(_config(corpus_inputs))
    assert (out / "precious.txt").read_text() == "keep me"


def test_missing_snapshot_names_repo(corpus_inputs: dict[str, object], tmp_path: Path) -> None:
    sources = tmp_path / "other.tsv"
    sources.write_text(HEADER + f"carol/none\t{'a' * 40}\tx\tMIT\treal\tcamera\tc\t.\t\tn\n")
    with pytest.raises(MirrorNotFoundError, match="carol/none"):
        build_corpus(BuildConfig(mirror=corpus_inputs["mirror"], out=tmp_path / "o", sources=sources))


def test_cli_build_prints_counts(corpus_inputs: dict[str, object]) -> None:
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--mirror",
            str(corpus_inputs["mirror"]),
            "--out",
            str(corpus_inputs["out"]),
            "--sources",
            str(corpus_inputs["sources"]),
            "--reserved",
            str(corpus_inputs["reserved"]),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "kept 3 files" in result.output
    assert "reserved_hash: 2" in result.output
    assert "grid_or_collage: 1" in result.output

"""Unit tests of the table, hash lists, decoding and heuristics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.detector.trainingdata.corpus_snapshots import encode, grid_like, photo_like, screenshot_like
from veracity.detector.trainingdata.corpus import (
    HashListError,
    SourcesTableError,
    decode_image,
    find_grid,
    is_non_photographic,
    load_hash_list,
    load_sources,
    measure_photo_stats,
)
from veracity.detector.trainingdata.corpus.__main__ import main
from veracity.detector.trainingdata.corpus.decode import DecodeError
from veracity.detector.trainingdata.corpus.dedup import NearDuplicateIndex, perceptual_hash
from veracity.detector.trainingdata.corpus.writer import flatten_path

HEADER = "repo\tcommit\tsubset\tlicence\tlabel\tfamily\tgenerator\tinclude\texclude\tnotes\n"


def test_hash_list_reads_both_kinds(tmp_path: Path) -> None:
    path = tmp_path / "h.txt"
    path.write_text(f"# c\n\nsha256 {'A' * 64}\ngitblob {'b' * 40}\n")
    hashes = load_hash_list(path)
    assert hashes.has_sha256("a" * 64) and hashes.has_blob("b" * 40) and len(hashes) == 2


def test_hash_list_rejects_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "h.txt"
    path.write_text("md5 abc\n")
    with pytest.raises(HashListError, match=r"h.txt:1: cannot read 'md5 abc'"):
        load_hash_list(path)


def test_hash_list_cli_from_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"file,sha256,source_blob_sha256,git_blob\nx.png,{'1' * 64},{'2' * 64},{'3' * 40}\n")
    out = tmp_path / "out.txt"
    result = CliRunner().invoke(main, ["hash-list", str(manifest), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert load_hash_list(out).to_dict()["sha256"] == 2
    again = CliRunner().invoke(main, ["hash-list", str(manifest), "-o", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("o/r\tabc\ts\tMIT\treal\tcamera\tc\t.\t\tn", "full 40-hex commit id"),
        (f"o/r\t{'a' * 40}\ts\tMIT\tmaybe\tcamera\tc\t.\t\tn", "bad 'label'"),
        (f"o/r\t{'a' * 40}\ts\tMIT\treal\tsdxl\tc\t.\t\tn", "Real rows use the family 'camera'"),
        (f"o/r\t{'a' * 40}\ts\tMIT\tfake\tsdxl\tc\t(\t\tn", "does not compile"),
    ],
)
def test_sources_table_errors_name_the_fix(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "s.tsv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(SourcesTableError, match=message):
        load_sources(path)


def test_sources_table_rejects_repeated_subset(tmp_path: Path) -> None:
    row = f"o/r\t{'a' * 40}\ts\tMIT\tfake\tsdxl\tc\t.\t\tn\n"
    path = tmp_path / "s.tsv"
    path.write_text(HEADER + row + row)
    with pytest.raises(SourcesTableError, match="listed twice"):
        load_sources(path)


def test_decode_refuses_bombs_animations_and_garbage() -> None:
    big = encode(photo_like(1, 300, 300), "PNG")
    with pytest.raises(DecodeError) as info:
        decode_image(big, max_pixels=1000)
    assert info.value.reason == "too_many_pixels"
    frames = [photo_like(i, 64, 64) for i in range(2)]
    anim = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(DecodeError) as info:
        decode_image(anim)
    assert info.value.reason == "animated"
    with pytest.raises(DecodeError) as info:
        decode_image(b"\x89PNG\r\n\x1a\nnot really")
    assert info.value.reason == "corrupt"


def test_heuristics_tell_photo_screenshot_and_grid_apart() -> None:
    photo = decode_image(encode(photo_like(3), quality=90)).rgb
    assert not is_non_photographic(measure_photo_stats(photo))
    assert not find_grid(photo).is_grid
    shot = decode_image(encode(screenshot_like(), "PNG")).rgb
    assert is_non_photographic(measure_photo_stats(shot))
    grid = find_grid(decode_image(encode(grid_like(1), "PNG")).rgb)
    assert grid.is_grid and grid.kind.startswith("separator")
    seamless = np.concatenate([np.asarray(photo_like(i, 256, 256)) for i in range(3)], axis=1)
    assert find_grid(seamless).kind == "tiling_x"


def test_near_duplicate_index() -> None:
    index = NearDuplicateIndex(6)
    index.add(perceptual_hash(photo_like(1)), "a")
    assert index.find(perceptual_hash(photo_like(1).resize((300, 225)))).key == "a"
    assert index.find(perceptual_hash(photo_like(2))) is None
    with pytest.raises(ValueError, match=r"must be an int in \[0, 64\]\. Got 65"):
        NearDuplicateIndex(65)


def test_flatten_path_is_safe_and_bounded() -> None:
    assert flatten_path("a b/c:d/e.final.png") == "a_b-c_d-e.final"
    long = flatten_path("x/" * 80 + "name.jpg")
    assert len(long) <= 100 and long.endswith("name")

"""The service benchmark's hostile files and arithmetic (its figures are printed by the script, never asserted)."""

from __future__ import annotations

import io
import struct

from PIL import Image

from veracity.benchmarks.perf.bench_serve import MAX_BYTES, Tally, hostile_files, percentile


def test_hostile_files_are_what_they_claim():
    files = {kind: (data, status) for kind, data, status in hostile_files()}
    assert set(files) == {"truncated", "bomb", "huge-xmp", "text", "empty", "over-limit"}
    bomb = files["bomb"][0]
    assert bomb[12:16] == b"IHDR" and struct.unpack(">II", bomb[16:24]) == (30000, 30000)  # 900 MP declared
    assert len(bomb) < 2_000_000
    with Image.open(io.BytesIO(files["huge-xmp"][0])) as xmp:
        assert len(xmp.info["XML:com.adobe.xmp"]) > 10_000_000
    assert len(files["over-limit"][0]) > MAX_BYTES and files["over-limit"][1] == 413
    assert files["empty"] == (b"", 422)


def test_tally_counts_unexpected_statuses_and_percentiles():
    tally = Tally()
    tally.add("camera", 200, 200, 10.0)
    tally.add("camera", 200, 200, 30.0)
    tally.add("bomb", 500, 422, 5.0)
    assert tally.total == 3 and tally.server_errors == 1
    assert dict(tally.unexpected) == {"bomb: 500 (expected 422)": 1}
    assert percentile(tally.latencies_ms, 50) in (10.0, 30.0) and percentile(tally.latencies_ms, 99) == 30.0

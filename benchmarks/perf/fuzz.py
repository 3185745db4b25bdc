"""Fuzz `veracity check` and `veracity scan` with mutants of every fixture; report what must never happen.

Seeds: the C2PA media and generated files in ``../shared/fixtures/c2pa`` (at most `MAX_SEED_BYTES` each), the
repository's ``samples/``, and images made here (JPEG with EXIF, XMP and ICC; PNG with text, iTXt XMP and
eXIf; WebP with EXIF and XMP; TIFF; GIF; WAV). Each mutant applies one to three structure-aware mutations:

* bit flips; truncation; random bytes overwritten;
* chunk and segment duplication and deletion (PNG chunks, JPEG segments, RIFF chunks, ISOBMFF boxes);
* length-field corruption (0, 1, the field's maximum, off by one, past the end of the file);
* XMP, EXIF, ICC and C2PA (JUMBF) region mutations: flips inside the region, the region cut short,
  and hostile XMP spliced in (an entity bomb, a 100,000-item ``rdf:Bag``, 10,000-deep nesting).

Every batch of mutants is run through ``scan`` (then the same scan again, which must add nothing) and
``check --format jsonl``, each with the per-file time budget. Reported, per command: tracebacks on stderr,
hangs (``TimeoutError`` records, or a command past its own guard time), crashes (``WorkerDied`` or
``AnalysisFailed`` records, exit codes other than 0 and 1), peak RSS of the command's process tree, and
records lost or duplicated (every mutant exactly once, none added on the rerun). Target: zero of each.
Each finding's mutant is kept under ``--keep`` to reproduce it.

Why a hand-written mutator and not atheris or hypothesis: the code under test is mostly native (Pillow's
decoders, libheif, the C2PA SDK), which atheris's coverage guidance cannot see without rebuilding those
libraries with libFuzzer instrumentation, and its in-process model cannot observe what this harness is
for: hangs, dying workers, memory of a process tree and the records a real ``scan`` writes. Hypothesis
generates and shrinks values for in-process properties; its shrinking needs a fast, deterministic oracle
per example, not a CLI batch of hundreds of files. What finds bugs in parsers of container formats is
knowing the containers, and that code is the same in any framework: here it is plain functions driven by a
seeded ``numpy.random.Generator``, so a run is reproducible from ``--seed``.

The detector is off by default (``--detector`` turns it on): it only ever sees pixels that decoded, which
the decode path already covers, and it would triple the time per mutant.

Usage:
    python -m veracity.benchmarks.perf.fuzz [--mutants 10000] [--seed 0] [--workers 2] [--timeout 30]
        [--batch 500] [--keep DIR] [--detector]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO / ".." / "shared").resolve()
MAX_SEED_BYTES = 3 * 1024 * 1024
Rng = np.random.Generator


# --- seeds --------------------------------------------------------------------------------------------------


def made_seeds() -> dict[str, bytes]:
    """Small images and a WAV made here, each carrying the metadata the mutators aim at."""
    from PIL import Image, PngImagePlugin

    from veracity.benchmarks.perf.bench_scan import camera_like

    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia">'
        "<dc:subject><rdf:Bag><rdf:li>a</rdf:li><rdf:li>b</rdf:li></rdf:Bag></dc:subject></rdf:Description>"
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "FuzzCam", "Model 1", "Adobe Photoshop 25.0"
    image = camera_like(320, 240, seed=7)
    icc = _srgb_icc()
    seeds = {}
    for name, fmt, kwargs in (
        ("made.jpg", "JPEG", {"quality": 85, "exif": exif, "xmp": xmp.encode(), "icc_profile": icc}),
        ("made-progressive.jpg", "JPEG", {"quality": 80, "progressive": True, "exif": exif}),
        ("made.webp", "WEBP", {"quality": 70, "exif": exif, "xmp": xmp.encode(), "icc_profile": icc}),
        ("made.tif", "TIFF", {"compression": "tiff_deflate"}),
        ("made.gif", "GIF", {}),
    ):
        buffer = io.BytesIO()
        image.save(buffer, fmt, **kwargs)
        seeds[name] = buffer.getvalue()
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64")
    info.add_itxt("XML:com.adobe.xmp", xmp)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, exif=exif, icc_profile=icc)
    seeds["made.png"] = buffer.getvalue()
    samples = np.zeros(4000, dtype=np.int16).tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(samples), b"WAVE", b"fmt ", 16, 1, 1, 8000,
                         16000, 2, 16, b"data", len(samples))  # fmt: skip
    seeds["made.wav"] = header + samples
    return seeds


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def load_seeds() -> dict[str, bytes]:
    """Every seed by name: made here, the repository's samples, the shared C2PA fixtures."""
    seeds = made_seeds()
    folders = [REPO / "samples", SHARED / "fixtures" / "c2pa" / "media", SHARED / "fixtures" / "c2pa" / "generated"]
    for folder in folders:
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.is_file() and path.suffix not in (".py", ".md") and path.stat().st_size <= MAX_SEED_BYTES:
                seeds[f"{folder.name}-{path.name}"] = path.read_bytes()
    return seeds


# --- structure: where the segments and their length fields are ----------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One container unit: ``[start, end)`` bytes, and where its length field is (offset, size, endianness)."""

    start: int
    end: int
    length_at: int
    length_size: int
    big_endian: bool = True


def segments(data: bytes) -> list[Segment]:
    """The top-level units of a PNG, JPEG, RIFF (WebP, WAV, AVI) or ISOBMFF (MP4, HEIC, AVIF) file."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _walk(data, 8, lambda o: (o, o + 12 + struct.unpack_from(">I", data, o)[0], o, 4, True))
    if data[:2] == b"\xff\xd8":
        return _jpeg_segments(data)
    if data[:4] == b"RIFF":
        return _walk(
            data, 12, lambda o: (o, o + 8 + (struct.unpack_from("<I", data, o + 4)[0] + 1) // 2 * 2, o + 4, 4, False)
        )
    if data[4:8] in (b"ftyp", b"moov", b"styp"):
        return _walk(data, 0, lambda o: (o, o + max(8, struct.unpack_from(">I", data, o)[0]), o, 4, True))
    return []


def _walk(data: bytes, offset: int, unit: Callable[[int], tuple[int, int, int, int, bool]]) -> list[Segment]:
    found = []
    while offset + 8 <= len(data) and len(found) < 2000:
        start, end, at, size, big = unit(offset)
        found.append(Segment(start, min(end, len(data)), at, size, big))
        if end <= offset:
            break
        offset = end
    return found


def _jpeg_segments(data: bytes) -> list[Segment]:
    found, offset = [], 2
    while offset + 4 <= len(data) and data[offset] == 0xFF and len(found) < 2000:
        marker = data[offset + 1]
        if marker in (0xD9, 0xDA):
            break
        length = struct.unpack_from(">H", data, offset + 2)[0]
        found.append(Segment(offset, min(offset + 2 + length, len(data)), offset + 2, 2, True))
        offset += 2 + length
    return found


_REGIONS = {
    "xmp": re.compile(rb"<x:xmpmeta"),  # its end is found with bytes.find: a lazy .*? here is quadratic
    "exif": re.compile(rb"Exif\x00\x00(?:II\*\x00|MM\x00\*)"),
    "icc": re.compile(rb"acsp"),
    "c2pa": re.compile(rb"jumb|jumd|c2pa|caBX"),
}


def metadata_regions(data: bytes) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of XMP packets, EXIF blocks, ICC profiles and C2PA/JUMBF boxes found by signature."""
    regions = []
    for kind, pattern in _REGIONS.items():
        for match, _ in zip(pattern.finditer(data, 0, 8 * 1024 * 1024), range(8), strict=False):
            start = max(0, match.start() - (36 if kind == "icc" else 8))
            end = min(len(data), start + 4096)
            if kind == "xmp":
                close = data.find(b"</x:xmpmeta>", match.end(), match.end() + 4 * 1024 * 1024)
                start, end = match.start(), (close + 12 if close >= 0 else end)
            regions.append((kind, start, end))
    return regions


# --- mutations ------------------------------------------------------------------------------------------------


def flip_bits(data: bytearray, rng: Rng) -> str:
    for _ in range(int(rng.integers(1, 9))):
        position = int(rng.integers(len(data)))
        data[position] ^= 1 << int(rng.integers(8))
    return "bit flips"


def overwrite_bytes(data: bytearray, rng: Rng) -> str:
    start = int(rng.integers(len(data)))
    count = int(rng.integers(1, 64))
    data[start : start + count] = rng.integers(0, 256, min(count, len(data) - start), dtype=np.uint8).tobytes()
    return "random bytes"


def truncate(data: bytearray, rng: Rng) -> str:
    del data[int(rng.integers(1, len(data))) :]
    return "truncated"


def duplicate_segment(data: bytearray, rng: Rng) -> str:
    units = segments(bytes(data))
    if not units:
        return flip_bits(data, rng)
    unit = units[int(rng.integers(len(units)))]
    copies = min(int(rng.choice([1, 2, 50])), max(1, (16 << 20) // max(1, unit.end - unit.start)))  # <= 16 MB
    data[unit.end : unit.end] = bytes(data[unit.start : unit.end]) * copies
    return f"segment duplicated x{copies}"


def delete_segment(data: bytearray, rng: Rng) -> str:
    units = segments(bytes(data))
    if len(units) < 2:
        return truncate(data, rng)
    unit = units[int(rng.integers(len(units)))]
    del data[unit.start : unit.end]
    return "segment deleted"


def corrupt_length(data: bytearray, rng: Rng) -> str:
    units = segments(bytes(data))
    if not units:
        return overwrite_bytes(data, rng)
    unit = units[int(rng.integers(len(units)))]
    top = (1 << (8 * unit.length_size)) - 1
    current = int.from_bytes(
        data[unit.length_at : unit.length_at + unit.length_size], "big" if unit.big_endian else "little"
    )
    value = int(rng.choice([0, 1, 2, 7, 8, top, top - 1, top // 2, current + 1, max(0, current - 1), len(data) * 2]))
    data[unit.length_at : unit.length_at + unit.length_size] = (value & top).to_bytes(
        unit.length_size, "big" if unit.big_endian else "little"
    )
    return "length field corrupted"


_HOSTILE_XMP = {
    "entity bomb": b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c '
    b'"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/"><r>&c;&c;&c;</r></x:xmpmeta>',
    "xxe": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><r>&e;</r></x:xmpmeta>',
    "wide bag": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag>'
    + b"<rdf:li/>" * 100_000
    + b"<rdf:li>x</rdf:li>" * 2000
    + b"</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>",
    "deep": b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</x:xmpmeta>",
    "unclosed": b"<x:xmpmeta " * 20_000,
}


def mutate_metadata(data: bytearray, rng: Rng) -> str:
    regions = metadata_regions(bytes(data))
    if not regions or rng.random() < 0.25:
        name = list(_HOSTILE_XMP)[int(rng.integers(len(_HOSTILE_XMP)))]
        at = regions[0][1] if regions and regions[0][0] == "xmp" else int(rng.integers(len(data)))
        data[at:at] = _HOSTILE_XMP[name]
        return f"hostile XMP spliced in ({name})"
    kind, start, end = regions[int(rng.integers(len(regions)))]
    action = int(rng.integers(3))
    if action == 0:
        for _ in range(int(rng.integers(1, 17))):
            data[int(rng.integers(start, max(start + 1, end)))] ^= 1 << int(rng.integers(8))
        return f"{kind} bits flipped"
    if action == 1:
        cut = int(rng.integers(start, max(start + 1, end)))
        del data[cut:end]
        return f"{kind} cut short"
    data[start:end] = bytes(data[start:end]) * 2
    return f"{kind} doubled"


MUTATIONS: tuple[Callable[[bytearray, Rng], str], ...] = (
    flip_bits,
    overwrite_bytes,
    truncate,
    duplicate_segment,
    delete_segment,
    corrupt_length,
    mutate_metadata,
    mutate_metadata,  # twice the weight: metadata parsers are the issue's main target
)


def mutant(seed: bytes, rng: Rng) -> tuple[bytes, list[str]]:
    """A mutant of ``seed`` and the mutations applied."""
    data = bytearray(seed)
    applied = []
    for _ in range(int(rng.integers(1, 4))):
        if len(data) < 2:
            break
        applied.append(MUTATIONS[int(rng.integers(len(MUTATIONS)))](data, rng))
    return bytes(data), applied


# --- running ----------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one command did over all batches."""

    files: int = 0
    records: int = 0
    tracebacks: int = 0
    hangs: int = 0
    crashes: int = 0
    lost: int = 0
    duplicated: int = 0
    bad_exit: int = 0
    peak_rss_mib: float = 0.0
    wall_s: float = 0.0
    findings: list[str] = field(default_factory=list)

    def row(self, name: str) -> str:
        return (
            f"| {name} | {self.files} | {self.records} | {self.tracebacks} | {self.hangs} | {self.crashes} | "
            f"{self.lost} | {self.duplicated} | {self.bad_exit} | {self.peak_rss_mib:.0f} | {self.wall_s:.0f} |"
        )


def run_measured(command: list[str], guard_s: float) -> tuple[int, str, str, float, bool]:
    """(exit code, stdout, stderr, peak RSS MiB of the process tree, hung past ``guard_s``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + guard_s
        hung = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                hung = True
                process.kill()
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss / 1024,
            hung,
        )


def judge(tally: Tally, name: str, files: list[Path], records: list[dict], stderr: str, code: int, hung: bool,
          keep: Path | None) -> None:  # fmt: skip
    """Count what went wrong in one command over one batch; keep the mutants that show it."""
    tally.files += len(files)
    tally.records += len(records)
    by_name = Counter(Path(r.get("path") or r.get("input") or "").name for r in records)
    expected = Counter(f.name for f in files)
    lost = expected - by_name
    duplicated = by_name - expected
    tally.lost += sum(lost.values())
    tally.duplicated += sum(duplicated.values())
    problems = [f"{name}: lost {n}" for n in lost] + [f"{name}: duplicated {n}" for n in duplicated]
    for record in records:
        kind = (record.get("error") or {}).get("kind")
        file_name = Path(record.get("path") or record.get("input") or "").name
        if kind == "TimeoutError":
            tally.hangs += 1
            problems.append(f"{name}: hang {file_name}")
        elif kind in ("WorkerDied", "AnalysisFailed"):
            tally.crashes += 1
            problems.append(f"{name}: crash {file_name}: {(record.get('error') or {}).get('message', '')[:160]}")
    if "Traceback (most recent call last)" in stderr:
        tally.tracebacks += 1
        last = [line for line in stderr.splitlines() if line and not line.startswith(" ")][-1:]
        problems.append(f"{name}: traceback: {last}")
    if hung:
        tally.hangs += 1
        problems.append(f"{name}: the command itself hung")
    if code not in (0, 1):
        tally.bad_exit += 1
        problems.append(f"{name}: exit code {code}: {stderr.strip().splitlines()[-1:]}")
    tally.findings.extend(problems)
    if keep is not None and problems:
        keep.mkdir(parents=True, exist_ok=True)
        for problem in problems:
            for f in files:
                if f.name in problem:
                    shutil.copy(f, keep / f.name)


def run_batch(folder: Path, files: list[Path], args: argparse.Namespace, tallies: dict[str, Tally]) -> None:
    cli = [sys.executable, "-m", "veracity.cli"]
    budget = ["--timeout", str(args.timeout)] + ([] if args.detector else ["--no-detector"])
    guard = args.timeout * 3 + len(files) * 2.0 + 120
    out = folder.parent / f"{folder.name}.jsonl"
    scan = [*cli, "scan", str(folder), "-o", str(out), "--workers", str(args.workers), "--quiet", *budget]
    for name in ("scan", "scan again"):
        before = out.read_bytes().count(b"\n") if out.exists() else 0
        started = time.perf_counter()
        code, _, stderr, rss, hung = run_measured(scan, guard)
        tallies[name].wall_s += time.perf_counter() - started
        tallies[name].peak_rss_mib = max(tallies[name].peak_rss_mib, rss)
        records = [json.loads(line) for line in out.read_bytes().splitlines() if line.strip()] if out.exists() else []
        if name == "scan":
            judge(tallies[name], name, files, records, stderr, code, hung, args.keep)
        else:  # the rerun must recognise every file and add nothing
            added = len(records) - before
            judge(tallies[name], name, [], records[before:], stderr, code, hung, args.keep)
            tallies[name].files += len(files)
            if added:
                tallies[name].findings.append(f"scan again: {added} records added on the rerun")
    started = time.perf_counter()
    code, stdout, stderr, rss, hung = run_measured([*cli, "check", str(folder), "--format", "jsonl", *budget], guard)
    tallies["check"].wall_s += time.perf_counter() - started
    tallies["check"].peak_rss_mib = max(tallies["check"].peak_rss_mib, rss)
    records = []
    for line in stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            tallies["check"].findings.append(f"check: a stdout line is not JSON: {line[:100]!r}")
    judge(tallies["check"], "check", files, records, stderr, code, hung, args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="scan workers (check always uses one)")
    parser.add_argument("--timeout", type=float, default=30.0, help="the per-file time budget, seconds")
    parser.add_argument("--batch", type=int, default=500, help="mutants per scan/check invocation")
    parser.add_argument("--keep", type=Path, default=None, help="copy the mutants behind findings here")
    parser.add_argument("--detector", action="store_true", help="also run the default detector")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    seeds = load_seeds()
    names = sorted(seeds)
    print(f"{len(seeds)} seeds; {args.mutants} mutants in batches of {args.batch}; seed {args.seed}", flush=True)
    tallies = {name: Tally() for name in ("scan", "scan again", "check")}
    mutations: Counter = Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="veracity-fuzz-") as tmp:
        made = 0
        batch_index = 0
        while made < args.mutants:
            folder = Path(tmp) / f"batch{batch_index:03d}"
            folder.mkdir()
            files = []
            for _ in range(min(args.batch, args.mutants - made)):
                seed_name = names[made % len(names)]
                data, applied = mutant(seeds[seed_name], rng)
                mutations.update(a.split(" (")[0] for a in applied)
                suffix = Path(seed_name).suffix or ".bin"
                path = folder / f"m{made:05d}-{Path(seed_name).stem[:40]}{suffix}"
                path.write_bytes(data)
                files.append(path)
                made += 1
            run_batch(folder, files, args, tallies)
            shutil.rmtree(folder)
            batch_index += 1
            print(f"  {made} mutants, {time.perf_counter() - started:.0f} s; findings so far: "
                  f"{sum(len(t.findings) for t in tallies.values())}", flush=True)  # fmt: skip
    print(f"\n{made} mutants of {len(seeds)} seeds in {time.perf_counter() - started:.0f} s; "
          f"per-file budget {args.timeout:g} s; scan workers {args.workers}\n")  # fmt: skip
    columns = "command files records tracebacks hangs crashes lost duplicated bad-exit peak-RSS-MiB wall-s".split()
    print("| " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, tally in tallies.items():
        print(tally.row(name))
    print("\nmutations applied: " + ", ".join(f"{k} {v}" for k, v in mutations.most_common()))
    findings = [f for t in tallies.values() for f in t.findings]
    print(f"\nfindings: {len(findings)}")
    for finding in findings[:50]:
        print(f"  - {finding}")


if __name__ == "__main__":
    main()

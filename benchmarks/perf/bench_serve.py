"""HTTP service load: N concurrent clients posting 4 MP JPEGs to ``veracity serve`` on loopback, against ``scan``.

Phase 1 (throughput): ``--clients`` threads, each with its own keep-alive connection, post camera-like 4 MP
JPEGs (the corpus of `bench_scan`) as raw bodies for ``--seconds``; printed: requests/s, latency p50/p95/p99,
errors, and the ratio of the service's throughput to the local scan engine's on the same files with the same
number of workers, scanned in the same run just before and just after (their mean is the baseline, so a noisy
spell hits both). Target: ratio >= 0.8 with 2 workers on 2 cores. The clients run on the same cores as the
server, so the ratio includes their cost.

Phase 2 (hostile mix, ``--hostile-seconds``): every other request is a hostile file (truncated JPEG,
decompression bomb, 11 MB XMP packet, text, empty, over the byte limit); each must get its documented
status (422, 422, 200, 415, 422, 413) and no 5xx, and the server must end healthy.

Peak memory: the server process and its workers (the high-water mark of each, from /proc). Loopback only;
every loop is bounded in time and in count (``--max-requests``), and the server is stopped at the end.

Usage:
    python -m veracity.benchmarks.perf.bench_serve [--files 120] [--clients 4] [--workers 2] [--seconds 30]
        [--hostile-seconds 20] [--max-requests 20000] [--no-detector]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from veracity.benchmarks.perf.bench_scan import camera_like, make_corpus_elsewhere, timed_scan

#: The byte limit the benchmark's server runs with: the over-limit file is just above it.
MAX_BYTES = 32 * 1024 * 1024


@dataclass
class Tally:
    """Answers of one phase: latencies of the successes, statuses, and what was unexpected."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    unexpected: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, expected: int, latency_ms: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status != expected:
                self.unexpected[f"{kind}: {status} (expected {expected})"] += 1
            elif kind == "camera":
                self.latencies_ms.append(latency_ms)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        """Answers per second, from the first request to the last answer."""
        return self.total / self.elapsed_s if self.elapsed_s > 0 else float("nan")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Service:
    """``veracity serve`` in a subprocess on a free loopback port (stopped by `stop`)."""

    def __init__(self, workers: int, detector: bool, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        script = Path(sys.executable).with_name("veracity")
        command = (
            [str(script)] if script.exists() else [sys.executable, "-c", "from veracity.cli.main import main; main()"]
        )
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        args += ["--queue-size", "64", "--max-bytes", str(MAX_BYTES), "--timeout", "30"]
        args += [] if detector else ["--no-detector"]
        self._log = log.open("wb")
        self.process = subprocess.Popen([*command, *args], stdout=self._log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def wait_ready(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"veracity serve exited with code {self.process.returncode}")
            try:
                status, body = self.get("/v1/health")
                if status == 200 and body["status"] == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"veracity serve was not ready within {timeout_s:g} s")

    def peak_memory_mb(self) -> tuple[float, float]:
        """(server process, largest worker) peak resident memory, MiB."""
        children = _children(self.process.pid)
        workers = [_peak_rss_mb(pid) for pid in children]
        return _peak_rss_mb(self.process.pid), max(workers, default=0.0)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _children(pid: int) -> list[int]:
    """Child processes of every thread of ``pid`` (the server starts its workers from helper threads)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return children


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def hostile_files() -> list[tuple[str, bytes, int]]:
    """``(kind, bytes, expected status)`` for each hostile file, built here."""
    buffer = io.BytesIO()
    camera_like(2304, 1728, seed=7).save(buffer, format="JPEG", quality=90)
    jpeg = buffer.getvalue()
    return [
        ("truncated", jpeg[: len(jpeg) // 2], 422),
        ("bomb", png_bomb(30000, 30000), 422),  # 900 MP in 1 MB: over the 150 MP pixel limit
        ("huge-xmp", png_with_xmp(200_000), 200),  # an 11 MB XMP packet: analysed, not a stall
        ("text", b"this is not an image\n" * 100, 415),
        ("empty", b"", 422),
        ("over-limit", b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, 413),
    ]


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG, all zero: tiny on disk, huge when decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def png_with_xmp(items: int) -> bytes:
    """A 1 MP PNG whose iTXt XMP packet lists ``items`` keywords (~57 bytes each)."""
    from PIL import PngImagePlugin

    keywords = "".join(f"<rdf:li>keyword {i} lorem ipsum dolor sit amet</rdf:li>" for i in range(items))
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag>'
        f"{keywords}</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    buffer = io.BytesIO()
    camera_like(1152, 864, seed=11).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def post(connection: http.client.HTTPConnection, body: bytes, name: str) -> int:
    connection.request("POST", f"/v1/check?name={name}", body=body, headers={"Content-Type": "image/jpeg"})
    response = connection.getresponse()
    response.read()
    return response.status


def run_clients(port: int, items: list[tuple[str, bytes, int]], clients: int, seconds: float, cap: int) -> Tally:
    """``clients`` threads post ``items`` round-robin (each client from its own offset) until time or count."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    sent = iter(range(cap))
    lock = threading.Lock()

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        index = offset
        while time.monotonic() < deadline:
            with lock:
                if next(sent, None) is None:
                    break
            kind, body, expected = items[index % len(items)]
            index += 1
            started = time.perf_counter()
            try:
                status = post(connection, body, f"{kind}-{index}.jpg")
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0  # no answer at all: counts as unexpected
            tally.add(kind, status, expected, (time.perf_counter() - started) * 1000.0)
        connection.close()

    threads = [threading.Thread(target=client, args=(i * 7,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed_s = time.perf_counter() - started
    return tally


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120, help="distinct 4 MP JPEGs posted in turn")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the throughput phase")
    parser.add_argument("--hostile-seconds", type=float, default=20.0, help="length of the hostile phase")
    parser.add_argument("--max-requests", type=int, default=20000, help="cap on requests per phase")
    parser.add_argument("--no-detector", action="store_true")
    args = parser.parse_args()
    from veracity.detector.default import DEFAULT_DETECTOR

    detector = None if args.no_detector else DEFAULT_DETECTOR
    with tempfile.TemporaryDirectory(prefix="veracity-bench-serve-") as tmp:
        root = Path(tmp)
        corpus = root / "4mp"
        make_corpus_elsewhere(corpus, args.files, (2304, 1728))
        camera = [("camera", path.read_bytes(), 200) for path in sorted(corpus.iterdir())]
        print(
            f"corpus: {args.files} camera-like 4 MP JPEGs ({statistics.mean(len(b) for _, b, _ in camera) / 1e6:.2f}"
            f" MB each); detector: {detector or 'none'}; workers: {args.workers}; clients: {args.clients}"
        )
        scan_before = timed_scan(corpus, root / "scan1.jsonl", "local", args.workers, detector)[2]
        service = Service(args.workers, detector is not None, root / "serve.log")
        try:
            service.wait_ready()
            run_clients(service.port, camera, args.clients, 60.0, 2 * args.workers)  # warm-up: first inferences
            load = run_clients(service.port, camera, args.clients, args.seconds, args.max_requests)
            memory_load = service.peak_memory_mb()
            scan_after = timed_scan(corpus, root / "scan2.jsonl", "local", args.workers, detector)[2]
            hostile = hostile_files()
            hostile_items = [item for i, good in enumerate(camera) for item in (good, hostile[i % len(hostile)])]
            mixed = run_clients(service.port, hostile_items, args.clients, args.hostile_seconds, args.max_requests)
            health_status, health = service.get("/v1/health")
            final = run_clients(service.port, camera[:1], 1, 30.0, 1)
            memory_end = service.peak_memory_mb()
        finally:
            service.stop()
    rate = load.rate
    scan_rate = (scan_before + scan_after) / 2
    print_table(args, load, rate, scan_before, scan_after, scan_rate, memory_load)
    print()
    print(f"hostile phase ({args.hostile_seconds:g} s, every other request hostile): {mixed.total} requests")
    print(f"  statuses: {dict(sorted(mixed.statuses.items()))}")
    print(f"  5xx: {mixed.server_errors}; unexpected statuses: {sum(mixed.unexpected.values())}")
    for what, count in mixed.unexpected.most_common():
        print(f"    {count} x {what}")
    print(
        f"  afterwards: /v1/health {health_status} {health.get('status')} (workers {health.get('workers_ready')}/"
        f"{health.get('workers')}, restarts {health.get('worker_restarts')}); a normal request: "
        f"{'200' if final.statuses.get(200) == 1 else dict(final.statuses)}"
    )
    print(f"  peak RSS at the end: server {memory_end[0]:.0f} MiB, largest live worker {memory_end[1]:.0f} MiB")


def print_table(args, load: Tally, rate: float, before: float, after: float, scan: float, memory) -> None:
    p50, p95, p99 = (percentile(load.latencies_ms, q) for q in (50, 95, 99))
    rows = [
        ("requests", f"{load.total} in {load.elapsed_s:.1f} s"),
        ("requests/s", f"{rate:.2f}"),
        ("latency p50 / p95 / p99", f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms"),
        ("errors", f"{load.total - len(load.latencies_ms)} ({dict(load.unexpected) or 'none'})"),
        ("scan files/s (before, after)", f"{scan:.2f} ({before:.2f}, {after:.2f})"),
        ("ratio service / scan", f"{rate / scan:.2f} (target >= 0.8)"),
        ("peak RSS server / worker", f"{memory[0]:.0f} / {memory[1]:.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\nthroughput phase: {args.clients} clients, {args.workers} workers")
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()

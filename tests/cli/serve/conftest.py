"""Fixtures: the real service (``veracity serve`` on a free loopback port) and small files to send it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.serve.serving import MAX_BYTES, MAX_PIXELS, TRUST_BUNDLE, Server
from tests.images import textured


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The default detector, two workers, small limits, and the crash test hook armed for 'CRASHME' files."""
    log = tmp_path_factory.mktemp("serve") / "server.log"
    args = ["--workers", "2", "--max-bytes", str(MAX_BYTES), "--max-pixels", str(MAX_PIXELS)]
    if TRUST_BUNDLE.is_file():
        args += ["--trust-anchors", str(TRUST_BUNDLE)]
    running = Server(args, log, env={"VERACITY_TEST_CRASH_MARKER": "CRASHME"})
    try:
        running.wait_ready(workers=2)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def small_jpeg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("files") / "small.jpg"
    textured(96, 64).save(path, "JPEG", quality=90)
    return path

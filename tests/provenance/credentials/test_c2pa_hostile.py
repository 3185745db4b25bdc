"""Hostile and malformed C2PA inputs are answered in bounded memory and time (checked in a capped process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import C2PA_FIXTURES, REPO

FIXTURES = C2PA_FIXTURES / "media"
HOSTILE = [
    "c2pa-rs_nested_moov_1000.mp4",
    "c2pa-rs_tiff_poc.tiff",
    "c2pa-rs_riff_bomb_1000.wav",
    "c2pa-rs_sample3.svg",
    "c2pa-rs_no_alg.jpg",
    "c2pa-rs_prerelease.jpg",
    "c2pa-ts_trustnxt-icon-signed-v3-bmff.heic",
]
_SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB of address space for everything
from tests.paths import C2PA_FIXTURES, REPO
from veracity.provenance.credentials.reader import read_manifest
from veracity.provenance.credentials.trust import TrustSettings
for path in sys.argv[1:]:
    result = read_manifest(path, trust=TrustSettings.only())
    print(result.state, result.problem.kind if result.problem else "-")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared C2PA fixtures not found")
def test_hostile_files_are_read_under_one_gib_and_a_few_seconds() -> None:
    repo = REPO
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *(str(FIXTURES / name) for name in HOSTILE)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=repo,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(HOSTILE)
    assert all(line.split()[0] in ("absent", "invalid") for line in lines)

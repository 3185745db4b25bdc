"""``veracity serve`` as a command: light to list, its settings, and helpers that need no server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from veracity.cli.serve.server import is_loopback
from veracity.cli.serve.settings import DEFAULT_DETECTOR
from veracity.cli.serve.uploads import display_name

HEAVY = ("fastapi", "starlette", "uvicorn", "pydantic", "python_multipart", "torch", "onnxruntime")


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"]])
def test_help_loads_neither_the_web_stack_nor_the_analysis_stack(args):
    code = (
        "import sys\nfrom veracity.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY []"


def test_worker_processes_do_not_load_the_web_stack():
    code = (
        "import sys\nimport veracity.cli.serve.workers\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY []"


def test_the_default_detector_marker_is_the_librarys():
    from veracity.api import DEFAULT

    assert DEFAULT_DETECTOR == DEFAULT


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.5", True), ("::1", True), ("localhost", True), ("0.0.0.0", False)],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\pic.png", "pic.png"),
        ("a\x00b\x1f.jpg", "ab.jpg"),
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
        ("x" * 300, "x" * 200),
    ],
)
def test_display_names_keep_only_the_file_name(given, shown):
    assert display_name(given) == shown

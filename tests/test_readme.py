"""The README's library example runs as written and gives the CLI's answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from tests.images import png_with_text
from tests.paths import REPO

README = REPO / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_library_example_runs_and_matches_the_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    from veracity.cli.main import main

    example = next(block for block in _python_blocks() if "veracity.check(" in block)
    png_with_text(tmp_path / "photo.jpg", {"parameters": "a cat\nSteps: 20, Sampler: Euler a, Seed: 1, Size: 64x64"})
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})  # noqa: S102 (the README's own example)
    printed = capsys.readouterr().out.split()
    cli = CliRunner().invoke(main, ["check", "photo.jpg", "--format", "json"])
    verdict = json.loads(cli.stdout)[0]["verdict"]
    assert printed[:2] == [verdict["label"], verdict["certainty"]] == ["generated", "medium"]

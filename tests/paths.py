"""Where the tests find the repository and the shared, read-only material beside it (`../shared/`)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
C2PA_FIXTURES = SHARED / "fixtures" / "c2pa"
WILD_DEV = SHARED / "data" / "wild-dev"


def screenshot_folder() -> Path:
    """Where browser tests keep their screenshots for a person to look at: ``$VERACITY_SCREENSHOTS``, else
    ``out/screenshots`` (git-ignored)."""
    folder = Path(os.environ.get("VERACITY_SCREENSHOTS") or REPO / "out" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder

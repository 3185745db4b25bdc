"""Where the tests find the repository and the shared, read-only material beside it (`../shared/`)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
C2PA_FIXTURES = SHARED / "fixtures" / "c2pa"
WILD_DEV = SHARED / "data" / "wild-dev"

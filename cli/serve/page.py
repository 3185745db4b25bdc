"""The web page at ``/``: one self-contained HTML file (inline CSS and script, nothing fetched elsewhere).

It is served with a Content-Security-Policy that allows exactly its own inline script (by hash), requests to
this server only, and images from the chosen file; the HTML report it shows in a sandboxed frame inherits
that policy, so nothing in a report (whose text comes from the checked file) can run or call out there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass(frozen=True)
class Page:
    html: str
    content_security_policy: str


@cache
def load_page() -> Page:
    """The page and its policy (read once from the package's ``static/index.html``)."""
    html = resources.files("veracity.cli.serve").joinpath("static", "index.html").read_text(encoding="utf-8")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _SCRIPT.findall(html)
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {hashes}",
            "style-src 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return Page(html, policy)


#: The policy of an HTML report served on its own (``?format=html``): its inline script and styles work, in an
#: opaque origin (``sandbox``), and it can fetch nothing, so text taken from a hostile file cannot call out.
REPORT_POLICY = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
)

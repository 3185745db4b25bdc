"""The HTML report: one self-contained page per file (inline CSS, images as data URIs, no script, no network).

`render_html` is the one entry point (the CLI's ``--format html`` and the HTTP service's ``?format=html`` both
call it). The forensic views are computed by `veracity.provenance.forensics` on the full-resolution pixels;
this module only shrinks their results for display, encodes them and fills the Jinja2 templates in
``templates/`` (autoescaped: every value from a file is untrusted text).
"""

from __future__ import annotations

import base64
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from veracity.cli.render.facts import describe_action, report_facts
from veracity.cli.render.text import CERTAINTY_WORDS, LABEL_WORDS
from veracity.provenance import labels
from veracity.provenance.report import ErrorRecord, Report

DISPLAY_SIDE = 1400
VIEW_SIDE = 900
_JPEG_QUALITY = 82


@dataclass(frozen=True)
class Figure:
    """One image of the page: a data URI with its caption."""

    title: str
    uri: str
    caption: str
    width: int
    height: int


def render_html(report: Report, data: bytes) -> str:
    """One self-contained HTML page for `report`, with forensic views computed from `data` (the file's bytes).

    Args:
        report: the analysis of the file (`veracity.check` or `analyze`).
        data: the same file's bytes; large images are decoded at full resolution for the analyses and
            shrunk only for display.

    Returns:
        The page: inline CSS, every image a ``data:`` URI, no script and no external resource.
    """
    views = _pixel_views(report, data)
    c2pa = report.signal(labels.C2PA)
    context = {
        "report": report,
        "verdict": report.verdict,
        "label_words": LABEL_WORDS[report.verdict.label],
        "certainty_words": CERTAINTY_WORDS[report.verdict.certainty],
        "facts": report_facts(report),
        "signals": report.signals,
        "metadata_rows": _metadata_rows(report),
        "manifest": _manifest_view(c2pa, data, report.media_type),
        **views,
    }
    return _environment().get_template("report.html.j2").render(**context)


def render_index(entries: Sequence[dict[str, Any]]) -> str:
    """The index page of a folder of reports: one row per file (``input``, ``page``, ``label``, ...)."""
    return _environment().get_template("index.html.j2").render(entries=entries, label_words=LABEL_WORDS)


def write_html(pages: Sequence[tuple[Report | ErrorRecord, bytes | None]], output: Path | None) -> Path | None:
    """Write the pages: one file when `output` names a file and there is one report, else a folder + index.

    Returns:
        What was written, or ``None`` when `output` is ``None`` (the caller prints the single page).
    """
    if output is None:
        return None
    reports = [(r, d) for r, d in pages if isinstance(r, Report) and d is not None]
    if len(pages) == 1 and reports and output.suffix.lower() in (".html", ".htm"):
        write_atomic_text(output, render_html(*reports[0]))
        return output
    output.mkdir(parents=True, exist_ok=True)
    entries = []
    for number, (record, data) in enumerate(pages, 1):
        entry = {"input": record.input, "label": record.label, "page": None, "headline": None, "error": None}
        if isinstance(record, Report) and data is not None:
            page = f"{number:03d}-{_slug(record.input)}.html"
            write_atomic_text(output / page, render_html(record, data))
            entry.update(page=page, headline=record.verdict.headline)
        else:
            entry["error"] = getattr(record, "message", "not analysed")
        entries.append(entry)
    write_atomic_text(output / "index.html", render_index(entries))
    return output / "index.html"


def write_atomic_text(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path` (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- views ----------------------------------------------------------------------------------------


def _pixel_views(report: Report, data: bytes) -> dict[str, Any]:
    """The image, the heatmap and the forensic views, as figures; empty for media without pixels."""
    from PIL import Image

    from veracity.provenance import forensics
    from veracity.provenance.assets.asset import Limits, load_asset

    if report.image is None:
        return {"image": None, "figures": [], "tables": None}
    # The report already passed the analysis limits; the page only needs room for these same bytes and pixels.
    pixel_room = max(Limits().max_pixels, report.image.width * report.image.height)
    asset = load_asset(data, name=report.input, limits=Limits(max_bytes=max(len(data), 1), max_pixels=pixel_room))
    pixels = asset.image.pixels
    display = forensics.for_display(pixels, DISPLAY_SIDE)
    figures = []
    classifier = report.signal(labels.CLASSIFIER)
    tiles = classifier.details.get("tiles") if classifier is not None else None
    if tiles:
        heat = forensics.tile_heatmap(forensics.for_display(pixels, VIEW_SIDE), pixels.size, tiles)
        figures.append(_figure("Classifier heatmap", heat, _HEATMAP_CAPTION))
    figures.append(
        _figure("Error-level analysis", forensics.for_display(forensics.error_level_analysis(pixels), VIEW_SIDE), _ELA)
    )
    figures.append(
        _figure("Noise residual", forensics.for_display(forensics.noise_residual(pixels), VIEW_SIDE), _NOISE)
    )
    figures.append(_figure("Fourier spectrum", forensics.fourier_spectrum(pixels), _SPECTRUM, fmt="PNG"))
    with Image.open(io.BytesIO(data)) as opened:
        tables = forensics.read_quantisation(opened)
    caption = f"{pixels.width}x{pixels.height} pixels" + (
        f", shown at {display.width}x{display.height}" if display.size != pixels.size else ""
    )
    return {"image": _figure("The image", display, caption), "figures": figures, "tables": tables}


_HEATMAP_CAPTION = (
    "Each tile the classifier scored, from blue (looks camera-made) to red (looks generated). A hint, not proof."
)
_ELA = (
    "How much each pixel changes when saved again as JPEG at quality 90. Regions edited after the last save "
    "often stand out; edges and textures are bright in any image."
)
_NOISE = (
    "Fine detail left after removing each pixel's 3x3 local mean: sensor noise is even, pasted regions often differ."
)
_SPECTRUM = (
    "Average Fourier spectrum of native-resolution tiles. Bright dots or grid lines away from the centre can be "
    "traces of a generator's upsampling; camera images fall off smoothly."
)


def _figure(title: str, image, caption: str, *, fmt: str = "JPEG") -> Figure:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=_JPEG_QUALITY, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    uri = f"data:image/{fmt.lower()};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return Figure(title, uri, caption, image.width, image.height)


def _metadata_rows(report: Report) -> list[tuple[str, str, str]]:
    """``(group, key, value)`` for every metadata value the report kept."""
    metadata = report.signal(labels.METADATA)
    rows: list[tuple[str, str, str]] = []
    if metadata is None:
        return rows
    for group in ("exif", "xmp", "iptc", "text_chunks"):
        for key, value in (metadata.details.get(group) or {}).items():
            rows.append((group.replace("_", " ").upper() if group != "text_chunks" else "Text", str(key), str(value)))
    return rows


def _manifest_view(c2pa, data: bytes, mime: str) -> dict[str, Any] | None:
    """The manifest for the page: facts, actions, assertions, and the ingredient tree with thumbnails."""
    if c2pa is None or c2pa.details.get("state") in (None, "absent"):
        return None
    from veracity.provenance.credentials.resources import read_thumbnails

    details = c2pa.details
    thumbnails = read_thumbnails(data, mime) if details.get("thumbnail") or details.get("ingredients") else {}

    def thumb(identifier: str | None) -> str | None:
        found = thumbnails.get(identifier or "")
        if found is None:
            return None
        return f"data:{found.format};base64," + base64.b64encode(found.data).decode("ascii")

    def tree(ingredients: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "title": i.get("title") or "untitled",
                "relationship": i.get("relationship"),
                "format": i.get("format"),
                "actions": [describe_action(a) for a in i.get("actions") or []],
                "failures": [f"{f['code']}: {f['words']}" for f in i.get("failures") or []],
                "thumbnail": thumb(i.get("thumbnail")),
                "children": tree(i.get("ingredients") or []),
            }
            for i in ingredients
        ]

    return {
        "details": details,
        "actions": [describe_action(a) for a in details.get("actions") or []],
        "assertions": details.get("assertion_labels") or [],
        "thumbnail": thumb(details.get("thumbnail")),
        "ingredients": tree(details.get("ingredients") or []),
        "findings": c2pa.findings,
    }


def _slug(name: str) -> str:
    stem = Path(name).name or "file"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60] or "file"


@cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("veracity.cli.render", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

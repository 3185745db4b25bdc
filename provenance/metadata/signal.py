"""The metadata signal: EXIF, XMP, IPTC and generator text, each finding with where it was found.

Metadata is easy to strip and to forge: it can declare generation (and then decides the verdict,
because nobody writes a generator's parameters into a camera photo by accident), but a camera make
or a capture claim in metadata is shown as context only, never as proof of capture.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PIL import ExifTags, Image, IptcImagePlugin

from veracity.provenance import labels
from veracity.provenance.metadata.generators import TextField, find_generator_traces, shorten
from veracity.provenance.metadata.parameters import GenerationParameters, read_generation_parameters
from veracity.provenance.metadata.pngchunks import read_png_metadata
from veracity.provenance.metadata.xmp import XmpProperty, find_xmp_packets, read_xmp
from veracity.provenance.signals import Finding, SignalResult
from veracity.provenance.sourcetypes import lookup_source_type

if TYPE_CHECKING:
    from veracity.provenance.assets.asset import Asset
    from veracity.provenance.options import AnalysisOptions

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_STRING_TAGS = {
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x013B: "Artist",
    0x0132: "DateTime",
    0x8298: "Copyright",
    0x927C: "MakerNote",
    0x9286: "UserComment",
    0x9003: "DateTimeOriginal",
    0xA434: "LensModel",
    0xA433: "LensMake",
    0x9C9C: "XPComment",
}
# Text chunk keys that are not text worth reading (binary or huge profile data).
_SKIP_INFO_KEYS = frozenset(
    {
        "icc_profile",
        "exif",
        "xmp",
        "XML:com.adobe.xmp",
        "photoshop",
        "dpi",
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "adobe",
        "adobe_transform",
        "progressive",
        "progression",
        "transparency",
        "gamma",
        "interlace",
        "loop",
        "duration",
        "background",
        "compression",
        "aspect",
        "chromaticity",
        "srgb",
        "mp",
        "mpoffset",
        "exif_bytes",
    }
)
_IPTC_NAMES = {
    (2, 5): "ObjectName",
    (2, 80): "By-line",
    (2, 110): "Credit",
    (2, 115): "Source",
    (2, 116): "CopyrightNotice",
    (2, 120): "Caption-Abstract",
    (2, 65): "OriginatingProgram",
}
_EDITORS = re.compile(
    r"photoshop|lightroom|gimp|affinity|capture one|pixelmator|snapseed|darktable|rawtherapee|"
    r"luminar|picsart|canva|facetune",
    re.IGNORECASE,
)
_DST_KEYS = frozenset({"iptc4xmpext:digitalsourcetype", "digitalsourcetype", "plus:digitalsourcetype"})


def read_metadata_signal(asset: Asset, options: AnalysisOptions | None = None) -> SignalResult:
    """Read EXIF, XMP, IPTC and generator text from ``asset`` and say what they imply.

    Returns:
        status ``found`` with findings (declarations of generation first), or ``absent`` when the
        file carries no metadata worth reporting. Never raises for missing metadata.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "corrupt EXIF" warnings: what it could not read is skipped
        fields, xmp, refused = _collect_fields(asset)
    findings = _source_type_findings(xmp) + find_generator_traces(fields) + _camera_findings(fields)
    parameters = read_generation_parameters(fields)
    findings += [_refused_finding(reason) for reason in refused]
    details = {
        "facts": _facts(fields),
        "generator": _generator_details(parameters, findings),
        "exif": {f.key: shorten(f.value, 200) for f in fields if f.where.startswith("EXIF")},
        "xmp": {p.name: shorten(p.value, 200) for p in xmp[:200]},
        "text_chunks": {f.key: shorten(f.value, 200) for f in fields if f.where.startswith(("PNG", "image comment"))},
        "iptc": {f.key: shorten(f.value, 200) for f in fields if f.where.startswith("IPTC")},
    }
    details = {k: v for k, v in details.items() if v}
    if not findings:
        summary = "No metadata declares how this file was made." if details else "No metadata found."
        return SignalResult(labels.METADATA, labels.ABSENT, summary, (), details)
    findings.sort(key=lambda f: labels.IMPLICATIONS.index(f.implies))
    summary = _summary(findings)
    if refused:
        summary += f" {refused[0]}."
    return SignalResult(labels.METADATA, labels.FOUND, summary, tuple(findings), details)


def _facts(fields: list[TextField]) -> dict[str, str]:
    """The values a journalist asks for first: when, with what, where, edited with what."""
    exif = {f.key: f.value for f in fields if f.where.startswith("EXIF")}
    xmp = {f.key.lower(): f.value for f in fields if f.where.startswith("XMP")}
    camera = " ".join(v for v in (exif.get("Make"), exif.get("Model")) if v)
    if exif.get("Make") and exif.get("Model", "").lower().startswith(exif["Make"].lower()):
        camera = exif["Model"]  # "Canon" + "Canon EOS R5" reads better as the model alone
    facts = {
        "captured_at": exif.get("DateTimeOriginal") or xmp.get("exif:datetimeoriginal") or exif.get("DateTime"),
        "camera": camera or None,
        "lens": " ".join(v for v in (exif.get("LensMake"), exif.get("LensModel")) if v) or None,
        "gps": exif.get("GPS"),
        "software": exif.get("Software") or xmp.get("xmp:creatortool"),
        "artist": exif.get("Artist"),
        "description": exif.get("ImageDescription"),
    }
    return {k: shorten(v, 200) for k, v in facts.items() if v}


def _generator_details(parameters: GenerationParameters | None, findings: list[Finding]) -> dict[str, str]:
    if parameters is not None:
        return parameters.to_dict()
    declaring = [f for f in findings if f.implies == labels.IMPLIES_GENERATED and " wrote this metadata" in f.meaning]
    if declaring:
        return {"tool": declaring[0].meaning.split(" wrote this metadata", 1)[0], "where": declaring[0].where}
    return {}


def _summary(findings: list[Finding]) -> str:
    count = f"{len(findings)} fact{'s' if len(findings) != 1 else ''}"
    top = findings[0]
    if top.implies == labels.IMPLIES_GENERATED:
        return f"Metadata declares generative AI ({count})."
    if top.implies == labels.IMPLIES_AI_EDITED:
        return f"Metadata declares AI editing ({count})."
    return f"Metadata found ({count}); none declares generative AI."


def _collect_fields(asset: Asset) -> tuple[list[TextField], list[XmpProperty], list[str]]:
    """(text fields, XMP properties, why XMP packets were refused)."""
    fields: list[TextField] = []
    packets: list[bytes | str] = []
    if asset.media_type.has_pixels:
        image = asset.open_pil()
        info = dict(image.info)
        if image.format == "PNG":
            info.update(read_png_metadata(asset.data))  # chunks after the pixels too, without decoding them
        fields.extend(_exif_fields(image, info))
        fields.extend(_info_fields(image.format, info))
        fields.extend(_iptc_fields(image))
        packets.extend(_pil_xmp_packets(image, info))
    if not packets:
        packets = find_xmp_packets(asset.data)
    xmp: list[XmpProperty] = []
    refused: list[str] = []
    for packet in packets:
        read = read_xmp(packet)
        xmp.extend(read.properties)
        if read.refused and read.refused not in refused:
            refused.append(read.refused)
    fields.extend(TextField(f"XMP {p.name}", p.name, p.value) for p in xmp)
    return fields, xmp, refused


def _refused_finding(reason: str) -> Finding:
    return Finding("xmp.refused", "XMP packet", shorten(reason, 120), f"{reason}.", labels.IMPLIES_NOTHING)


def _exif_fields(image: Image.Image, info: dict[str, Any]) -> Iterable[TextField]:
    try:
        if image.format == "PNG":  # Pillow's getexif() would decode a PNG's pixels to find its eXIf chunk
            exif = Image.Exif()
            if info.get("exif"):
                exif.load(info["exif"])
        else:
            exif = image.getexif()
        directories = [("EXIF IFD0", exif)]
        if _EXIF_IFD in exif:
            directories.append(("EXIF SubIFD", exif.get_ifd(_EXIF_IFD)))
        gps = exif.get_ifd(_GPS_IFD) if _GPS_IFD in exif else {}
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, struct_error()):
        return
    for where, directory in directories:
        for tag, value in directory.items():
            name = _STRING_TAGS.get(tag)
            text = _exif_text(tag, value) if name else None
            if name and text:
                yield TextField(f"{where} {name} (0x{tag:04X})", name, text)
    position = gps_position(gps) if gps else None
    if position:
        yield TextField("EXIF GPS IFD", "GPS", format_position(position))
    elif gps:
        yield TextField("EXIF GPS IFD", "GPS", "location recorded (unreadable coordinates)")


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def _exif_text(tag: int, value: Any) -> str | None:
    """An EXIF string as exiftool shows it: cut at the first NUL, ``None`` for binary or empty values."""
    if isinstance(value, bytes):
        if tag == 0x9286 and value[:8] == b"UNICODE\x00":
            body = value[8:]
            codec = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
            value = body.decode(codec, "replace")
        elif tag == 0x9286 and value[:8] in (b"ASCII\x00\x00\x00", b"\x00" * 8):
            value = value[8:].decode("utf-8", "replace")
        elif tag == 0x9C9C:
            value = value.decode("utf-16-le", "replace")
        else:
            value = value.decode("utf-8", "replace")
    text = str(value).split("\x00", 1)[0].strip()
    if not text or "\ufffd" in text or not text.isprintable():
        return None  # binary (a maker's private block, a Samsung UserComment): nothing a person can read
    return text


def gps_position(gps: Any) -> dict[str, float] | None:
    """``{"latitude", "longitude"[, "altitude_m"]}`` in decimal degrees from an EXIF GPS IFD, or ``None``."""
    try:
        latitude = _degrees(gps[2], gps.get(1, "N"), "S")
        longitude = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    position = {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}
    try:
        altitude = float(gps[6])
        below = gps.get(5) in (1, b"\x01")
        position["altitude_m"] = round(-altitude if below else altitude, 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    return position


def format_position(position: dict[str, float]) -> str:
    """``48.858400, 2.294500 (altitude 35.0 m)``."""
    text = f"{position['latitude']:.6f}, {position['longitude']:.6f}"
    if "altitude_m" in position:
        text += f" (altitude {position['altitude_m']} m)"
    return text


def _degrees(value: Any, ref: Any, negative: str) -> float:
    parts = [float(v) for v in value] if isinstance(value, (tuple, list)) else [float(value)]
    degrees = sum(p / 60**i for i, p in enumerate(parts[:3]))
    ref_text = ref.decode("ascii", "ignore") if isinstance(ref, bytes) else str(ref)
    return -degrees if ref_text.strip().upper().startswith(negative) else degrees


def _info_fields(fmt: str | None, info: dict[str, Any]) -> Iterable[TextField]:
    fmt = fmt or "image"
    for key, value in info.items():
        if not isinstance(key, str) or key in _SKIP_INFO_KEYS or not isinstance(value, (str, bytes)):
            continue
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if text.strip():
            where = f"PNG text chunk '{key}'" if fmt == "PNG" else f"image comment '{key}' ({fmt})"
            yield TextField(where, key, text)


def _iptc_fields(image: Image.Image) -> Iterable[TextField]:
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except (OSError, SyntaxError, ValueError, TypeError, IndexError):
        return
    for code, name in _IPTC_NAMES.items():
        value = iptc.get(code)
        if isinstance(value, list):
            value = b"; ".join(v for v in value if isinstance(v, bytes))
        if isinstance(value, bytes) and value.strip():
            yield TextField(f"IPTC IIM {name} ({code[0]}:{code[1]})", name, value.decode("utf-8", "replace"))


def _pil_xmp_packets(image: Image.Image, info: dict[str, Any]) -> list[bytes | str]:
    packets: list[bytes | str] = []  # read_xmp caps each one's size, whoever extracted it
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = info.get(key)
        if isinstance(value, (bytes, str)) and value:
            packets.append(value)
    tag_v2 = getattr(image, "tag_v2", None)
    if tag_v2 is not None and 700 in tag_v2:
        value = tag_v2[700]
        packets.append(value if isinstance(value, bytes) else str(value))
    return packets


def _source_type_findings(xmp: list[XmpProperty]) -> list[Finding]:
    findings = []
    for prop in xmp:
        if prop.name.lower() not in _DST_KEYS:
            continue
        term = lookup_source_type(prop.value)
        if term is None:
            findings.append(
                Finding(
                    "iptc.digital_source_type",
                    f"XMP {prop.name}",
                    prop.value,
                    "An unrecognised IPTC digital source type is declared.",
                    labels.IMPLIES_NOTHING,
                )
            )
            continue
        implies = term.implies
        meaning = f"IPTC digital source type '{term.code}': {term.words}."
        if implies == labels.IMPLIES_CAPTURED:
            meaning += " Metadata alone cannot prove capture."
        findings.append(Finding("iptc.digital_source_type", f"XMP {prop.name}", prop.value, meaning, implies))
    return findings


def _camera_findings(fields: list[TextField]) -> list[Finding]:
    by_key = {f.key: f for f in fields if f.where.startswith("EXIF")}
    findings = []
    make, model = by_key.get("Make"), by_key.get("Model")
    if make or model:
        camera = " ".join(x.value for x in (make, model) if x)
        where = (make or model).where
        findings.append(
            Finding(
                "exif.camera",
                where,
                camera,
                f"EXIF names a camera ({camera}); metadata is easily copied or edited, so this is "
                "context, not proof of capture.",
                labels.IMPLIES_NOTHING,
            )
        )
    for key, words in (
        ("DateTimeOriginal", "the capture time {}"),
        ("LensModel", "the lens {}"),
        ("GPS", "the GPS position {}"),
    ):
        if key in by_key:
            f = by_key[key]
            meaning = f"EXIF records {words.format(f.value)}; easily edited, so context only."
            findings.append(Finding(f"exif.{key.lower()}", f.where, f.value, meaning, labels.IMPLIES_NOTHING))
    software = by_key.get("Software")
    if software and _EDITORS.search(software.value):
        findings.append(
            Finding(
                "exif.software",
                software.where,
                software.value,
                f"Edited or exported with {shorten(software.value, 60)}.",
                labels.IMPLIES_EDITED,
            )
        )
    elif software:
        findings.append(
            Finding(
                "exif.software",
                software.where,
                software.value,
                f"EXIF names the software {shorten(software.value, 60)!r}.",
                labels.IMPLIES_NOTHING,
            )
        )
    return findings


# Pillow's name table, kept for callers that want tag names beyond the ones we read.
EXIF_TAG_NAMES = ExifTags.TAGS

"""Tell a truncated JPEG from a whole one before decoding: does the entropy-coded data cover the frame?

libjpeg (and so Pillow) decodes a JPEG whose coded data stops early as long as the file ends with a marker:
it warns (which Pillow drops) and paints the rest of the frame grey. A header declaring 14000 x 10000 over
640 x 480 worth of data then decodes to a "normal" 140 MP image. Pillow offers no way to see the warning, so
this module checks the structure instead, from the markers alone (no entropy decoding):

* Sequential Huffman JPEG (SOF0, SOF1: nearly every camera and web JPEG): every 8x8 block of every component
  costs at least one DC code and one AC code, so the first scan needs at least ``blocks x (shortest DC code +
  shortest AC code)`` bits, the shortest codes read from the scan's own Huffman tables. When everything from
  that scan to the end of the file holds fewer bits, the file cannot hold the frame.
* With a restart interval (DRI), a complete first scan also has ``ceil(MCUs / interval) - 1`` restart
  markers; fewer in the whole rest of the file cannot make one.

Counting to the end of the file (not to the first marker-like bytes) keeps files that are damaged in the
middle but complete, which libjpeg resynchronises at restart markers, from being called truncated.

Progressive and arithmetic-coded JPEGs can code runs of empty blocks in a few bits, so no such bound holds
for them: they are not checked here (a file cut without an end marker still fails in Pillow).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field

_SEQUENTIAL_HUFFMAN = frozenset({0xC0, 0xC1})
_OTHER_FRAMES = frozenset({0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_MAX_SEGMENTS = 10_000  # a real JPEG has a few dozen; a hostile one could repeat empty segments

_STUFFING_OR_RESTART = re.compile(rb"\xff[\x00\xd0-\xd7]")


@dataclass(frozen=True)
class ScanShortfall:
    """A JPEG whose coded data cannot cover its declared frame.

    Attributes:
        width, height: the frame size the header declares.
        coverage: an upper bound on the share of the frame the data can hold, in [0, 1).
        reason: how it was found, for a person.
    """

    width: int
    height: int
    coverage: float
    reason: str


@dataclass
class _Frame:
    width: int = 0
    height: int = 0
    components: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (h, v) sampling factors
    restart_interval: int = 0
    dc_min_bits: dict[int, int] = field(default_factory=dict)  # table id -> shortest code length
    ac_min_bits: dict[int, int] = field(default_factory=dict)


def find_scan_shortfall(data: bytes) -> ScanShortfall | None:
    """``None`` when the JPEG's coded data can cover its frame (or the check does not apply), else why not.

    Linear in the file size; never raises on malformed input (a structure it cannot follow is left to the
    decoder).
    """
    try:
        return _walk(data)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None


def _walk(data: bytes) -> ScanShortfall | None:
    if data[:2] != b"\xff\xd8":
        return None
    frame: _Frame | None = None
    pending = _Frame()
    offset = 2
    for _ in range(_MAX_SEGMENTS):
        while offset < len(data) and data[offset] == 0xFF and offset + 1 < len(data) and data[offset + 1] == 0xFF:
            offset += 1  # fill bytes before a marker
        if offset + 4 > len(data) or data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xD9:
            return None
        (length,) = struct.unpack_from(">H", data, offset + 2)
        body = data[offset + 4 : offset + 2 + length]
        if marker in _OTHER_FRAMES:
            return None  # progressive, lossless or arithmetic: no bound (see the module docstring)
        if marker in _SEQUENTIAL_HUFFMAN:
            frame = _read_frame(body, pending)
        elif marker == 0xC4:
            _read_huffman_tables(body, pending)
        elif marker == 0xDD and len(body) >= 2:
            (pending.restart_interval,) = struct.unpack_from(">H", body)
        elif marker == 0xDA:
            return None if frame is None else _check_scan(frame, body, data, offset + 2 + length, len(data))
        offset += 2 + length
    return None


def _read_frame(body: bytes, tables: _Frame) -> _Frame:
    _precision, height, width, count = struct.unpack_from(">BHHB", body)
    components = {}
    for i in range(count):
        ident, sampling, _table = struct.unpack_from(">BBB", body, 6 + 3 * i)
        components[ident] = (max(1, sampling >> 4), max(1, sampling & 0x0F))
    # Tables and the restart interval may come before or after the frame header: share them.
    tables.width, tables.height, tables.components = width, height, components
    return tables


def _read_huffman_tables(body: bytes, frame: _Frame) -> None:
    pos = 0
    while pos + 17 <= len(body):
        table_class, table_id = body[pos] >> 4, body[pos] & 0x0F
        counts = body[pos + 1 : pos + 17]
        shortest = next((i + 1 for i, n in enumerate(counts) if n), None)
        if shortest is not None:
            (frame.dc_min_bits if table_class == 0 else frame.ac_min_bits)[table_id] = shortest
        pos += 17 + sum(counts)


def _check_scan(frame: _Frame, header: bytes, data: bytes, start: int, end: int) -> ScanShortfall | None:
    if not frame.width or not frame.height or not frame.components:
        return None  # a height of 0 is defined later by a DNL marker: no bound
    count = header[0]
    selected = [(header[1 + 2 * i], header[2 + 2 * i] >> 4, header[2 + 2 * i] & 0x0F) for i in range(count)]
    h_max = max(h for h, _ in frame.components.values())
    v_max = max(v for _, v in frame.components.values())
    needed_bits = 0
    if count == 1:
        h, v = frame.components.get(selected[0][0], (1, 1))
        cols = math.ceil(math.ceil(frame.width * h / h_max) / 8)
        rows = math.ceil(math.ceil(frame.height * v / v_max) / 8)
        mcus = cols * rows
        blocks = {selected[0][0]: mcus}
    else:
        mcus = math.ceil(frame.width / (8 * h_max)) * math.ceil(frame.height / (8 * v_max))
        blocks = {ident: mcus * frame.components.get(ident, (1, 1))[0] * frame.components.get(ident, (1, 1))[1]
                  for ident, _, _ in selected}  # fmt: skip
    for ident, dc_table, ac_table in selected:
        per_block = frame.dc_min_bits.get(dc_table, 1) + frame.ac_min_bits.get(ac_table, 1)
        needed_bits += blocks[ident] * per_block
    # Every stuffed byte (FF 00) and restart marker (FF D0-D7) starts with FF, so one count of FF bounds what they
    # take from the coded data; the exact counts (one regex pass) are needed only near the bound or for restarts.
    if not frame.restart_interval and 8 * (end - start - 2 * data.count(b"\xff", start, end)) >= needed_bits:
        return None
    markers = _STUFFING_OR_RESTART.findall(data, start, end)
    stuffed = markers.count(b"\xff\x00")
    restarts = len(markers) - stuffed
    available_bits = 8 * (end - start - stuffed - 2 * restarts)
    if available_bits < needed_bits:
        return ScanShortfall(
            frame.width,
            frame.height,
            max(0.0, available_bits / needed_bits),
            f"{available_bits // 8:,} bytes of coded data; the declared frame needs at least {needed_bits // 8:,}",
        )
    if frame.restart_interval:
        expected = math.ceil(mcus / frame.restart_interval) - 1
        if restarts < expected:
            return ScanShortfall(
                frame.width,
                frame.height,
                (restarts + 1) / (expected + 1),
                f"{restarts} of the {expected} restart markers a complete scan has",
            )
    return None

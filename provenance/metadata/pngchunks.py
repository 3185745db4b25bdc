"""Every metadata chunk of a PNG (text, EXIF, XMP), before and after the image data, without decoding pixels.

Pillow reads the chunks that come after the image data (a ``tEXt`` or ``eXIf`` written last) only while it
decodes the pixels, and ``getexif()`` on a PNG decodes the whole image to reach them: for a 144 MP PNG that
was 600 MB more just to look for metadata. This walks the chunk list once with Pillow's own chunk parsers
(and their text-memory caps), skipping the image data.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from PIL import PngImagePlugin

_IMAGE_DATA = frozenset({b"IDAT", b"fdAT"})
_MAX_CHUNKS = 100_000


def read_png_metadata(data: bytes) -> dict[str, Any]:
    """Pillow's ``info`` entries from every chunk of the PNG in ``data`` (text keys, ``exif``, ``xmp``, ...).

    A chunk Pillow cannot parse ends the walk; what was read before it is returned. Never raises.
    """
    stream = PngImagePlugin.PngStream(io.BytesIO(data))
    stream.fp.seek(8)
    for _ in range(_MAX_CHUNKS):
        try:
            cid, pos, length = stream.read()
        except (struct.error, SyntaxError, ValueError, OSError):
            break
        if cid == b"IEND" or pos + length > len(data):
            break
        if cid in _IMAGE_DATA:
            stream.fp.seek(pos + length + 4)  # the pixels, then their CRC
            continue
        try:
            stream.call(cid, pos, length)
        except AttributeError:
            pass  # a chunk Pillow has no parser for: skipped below
        except (EOFError, SyntaxError, ValueError, OSError, struct.error, UnicodeDecodeError):
            break
        stream.fp.seek(pos + length + 4)
    return dict(stream.im_info)

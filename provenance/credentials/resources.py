"""Resources embedded in a manifest store: the claim thumbnail and the ingredients' thumbnails."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from veracity.provenance.credentials.reader import STORE_MIMES, reader_format

#: Largest thumbnail kept (bytes): a hostile store cannot make a report huge.
MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Thumbnail:
    """One embedded thumbnail.

    Attributes:
        identifier: its resource identifier in the store (what `Ingredient.thumbnail` holds).
        format: its media type, e.g. ``"image/jpeg"``.
        data: its bytes.
    """

    identifier: str
    format: str
    data: bytes


def read_thumbnails(data: bytes, mime: str) -> dict[str, Thumbnail]:
    """Every thumbnail of the store embedded in `data` (a file of media type `mime`), by identifier.

    Returns ``{}`` when the file has no readable manifest; never raises for a missing or broken store.
    """
    import c2pa

    fmt = "application/c2pa" if mime in STORE_MIMES else reader_format(mime)
    if fmt is None:
        return {}
    try:
        reader = c2pa.Reader(fmt, io.BytesIO(data))
        store = json.loads(reader.json())
    except (c2pa.C2paError, ValueError):
        return {}
    found: dict[str, Thumbnail] = {}
    for manifest in (store.get("manifests") or {}).values():
        if not isinstance(manifest, dict):
            continue
        references = [manifest.get("thumbnail")] + [i.get("thumbnail") for i in manifest.get("ingredients") or []]
        for reference in references:
            if not isinstance(reference, dict) or not isinstance(reference.get("identifier"), str):
                continue
            identifier = reference["identifier"]
            if identifier in found:
                continue
            stream = io.BytesIO()
            try:
                reader.resource_to_stream(identifier, stream)
            except c2pa.C2paError:
                continue
            payload = stream.getvalue()
            if 0 < len(payload) <= MAX_THUMBNAIL_BYTES:
                found[identifier] = Thumbnail(identifier, str(reference.get("format") or "image/jpeg"), payload)
    return found

"""Find and parse XMP packets safely, flattening them to ``prefix:Name = value`` pairs, in linear time.

Every step is linear in its input and capped, whatever a hostile file holds:

* `find_xmp_packets` walks the bytes once with ``bytes.find`` (a regex with a lazy ``.*?`` rescans the rest of
  the file from every unclosed ``<x:xmpmeta``: quadratic);
* every packet, embedded or handed over by Pillow, is refused above `MAX_PACKET_BYTES`;
* parsing streams the XML through defusedxml's expat parser into a handler that keeps a stack of open
  elements (an ``rdf:li`` finds its property on the stack instead of rebuilding a parent map for every item,
  which made a 4 MB ``rdf:Bag`` of 440,000 items take 236 s), and stops at `MAX_ELEMENTS` elements,
  `MAX_DEPTH` levels or `MAX_PROPERTIES` values.

A packet that cannot be read is not silently dropped: `read_xmp` says why (``refused``), e.g. a DOCTYPE
that defines entities (billion laughs, XXE), which defusedxml refuses to expand.
"""

from __future__ import annotations

from dataclasses import dataclass

from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

MAX_PACKET_BYTES = 4 * 1024 * 1024
MAX_PACKETS = 8
MAX_PROPERTIES = 2000
MAX_ELEMENTS = 100_000
MAX_DEPTH = 64
_OPEN = b"<x:xmpmeta"
_CLOSE = b"</x:xmpmeta>"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML"

# Usual prefixes for the namespaces we read, so names are stable whatever the file declared.
PREFIXES = {
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://purl.org/dc/terms/": "dcterms",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
}


@dataclass(frozen=True)
class XmpProperty:
    """One XMP value: ``name`` is ``prefix:LocalName``, ``value`` its text."""

    name: str
    value: str


@dataclass(frozen=True)
class XmpRead:
    """What one packet gave.

    Attributes:
        properties: the values read (possibly some, when a cap stopped the read part-way).
        refused: why the packet (or its rest) was not read, for a person; ``None`` when it was read whole.
    """

    properties: tuple[XmpProperty, ...] = ()
    refused: str | None = None


class _Stop(Exception):
    """Raised by the handler to end a parse at a cap."""


def find_xmp_packets(data: bytes) -> list[bytes]:
    """XMP packets embedded anywhere in a file's bytes (for formats Pillow does not parse); one linear pass.

    Packets over `MAX_PACKET_BYTES` are returned cut to that size plus one byte, so `read_xmp` refuses them
    with the reason.
    """
    packets: list[bytes] = []
    start = data.find(_OPEN)
    while start >= 0 and len(packets) < MAX_PACKETS:
        end = data.find(_CLOSE, start + len(_OPEN))
        if end < 0:
            break  # no packet closes after this one: none after it can close either
        end += len(_CLOSE)
        packets.append(data[start : min(end, start + MAX_PACKET_BYTES + 1)])
        start = data.find(_OPEN, end)
    return packets


def read_xmp(packet: bytes | str) -> XmpRead:
    """Flatten one XMP packet (bytes or text) into properties; hostile or malformed XML is refused with the reason."""
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "surrogatepass")
    if len(packet) > MAX_PACKET_BYTES:
        return XmpRead(refused=f"XMP packet larger than {MAX_PACKET_BYTES // (1024 * 1024)} MiB; not read")
    start = packet.find(_OPEN)
    doctype = packet.find(b"<!DOCTYPE", 0, max(start, 0))
    if doctype >= 0:
        start = doctype  # keep the DOCTYPE, so that what it declares is refused with the reason
    if start > 0:
        packet = packet[start:]
    end = packet.rfind(_CLOSE)
    if end >= 0:
        packet = packet[: end + len(_CLOSE)]
    handler = _Flattener()
    parser = DefusedXMLParser(target=handler, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    refused = None
    try:
        parser.feed(packet)
        parser.close()
    except _Stop as stop:
        refused = str(stop)
    except EntitiesForbidden:
        refused = (
            "XMP packet refused: its DOCTYPE defines entities (possible billion-laughs or XXE attack); not expanded"
        )
    except (ExternalReferenceForbidden, DTDForbidden):
        refused = "XMP packet refused: it references external entities or a DTD; not fetched"
    except (ParseError, DefusedXmlException, ValueError) as exc:
        refused = f"XMP packet is not well-formed XML ({' '.join(str(exc).split())[:120]}); not read"
    return XmpRead(tuple(handler.found), refused)


def read_xmp_properties(packet: bytes) -> list[XmpProperty]:
    """The properties of one packet (see `read_xmp`, which also says why a packet was refused)."""
    return list(read_xmp(packet).properties)


class _Flattener:
    """An expat target: a stack of open element names replaces any parent lookup, so each event costs O(1)."""

    def __init__(self) -> None:
        self.found: list[XmpProperty] = []
        self.stack: list[str] = []  # qualified tags of the open elements
        self.text: list[list[str]] = []
        self.elements = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise _Stop(f"XMP packet has more than {MAX_ELEMENTS:,} elements; read up to there")
        if len(self.stack) >= MAX_DEPTH:
            raise _Stop(f"XMP packet nests deeper than {MAX_DEPTH} levels; read up to there")
        for attr, value in attrib.items():
            if not attr.startswith(("{" + _RDF, "{" + _XML)):
                self._add(_qualified(attr), value)
        self.stack.append(tag)
        self.text.append([])

    def data(self, text: str) -> None:
        if self.text and sum(map(len, self.text[-1])) < 65536:
            self.text[-1].append(text)

    def end(self, tag: str) -> None:
        text = "".join(self.text.pop()).strip() if self.text else ""
        self.stack.pop()
        if not text:
            return
        if not tag.startswith("{" + _RDF):
            self._add(_qualified(tag), text)
        elif tag == "{" + _RDF + "}li":
            # rdf:li values belong to the nearest enclosing element outside the RDF namespace
            # (prop > rdf:Alt/Seq/Bag > rdf:li).
            owner = next((t for t in reversed(self.stack) if not t.startswith("{" + _RDF)), None)
            self._add(_qualified(owner) if owner else "rdf:li", text)

    def close(self) -> None:
        return None

    def _add(self, name: str, value: str) -> None:
        self.found.append(XmpProperty(name, value))
        if len(self.found) >= MAX_PROPERTIES:
            raise _Stop(f"XMP packet has {MAX_PROPERTIES:,} values or more; the first {MAX_PROPERTIES:,} were read")


def _qualified(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{PREFIXES.get(uri, uri.rstrip('/#').rsplit('/', 1)[-1])}:{local}"
    return tag

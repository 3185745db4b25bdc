"""Find and parse XMP packets safely (defusedxml), flattening them to ``prefix:Name = value`` pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

_PACKET = re.compile(rb"<x:xmpmeta[\s>].*?</x:xmpmeta>", re.DOTALL)
_MAX_PACKET_BYTES = 4 * 1024 * 1024
_MAX_PACKETS = 8
_MAX_PROPERTIES = 2000
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

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


def find_xmp_packets(data: bytes) -> list[bytes]:
    """XMP packets embedded anywhere in a file's bytes (for formats Pillow does not parse)."""
    packets = []
    for match in _PACKET.finditer(data):
        if len(match.group(0)) <= _MAX_PACKET_BYTES:
            packets.append(match.group(0))
        if len(packets) >= _MAX_PACKETS:
            break
    return packets


def read_xmp_properties(packet: bytes) -> list[XmpProperty]:
    """Flatten one XMP packet; malformed or hostile XML (entities, DTDs) yields no properties."""
    start = packet.find(b"<x:xmpmeta")
    if start > 0:
        packet = packet[start:]
    end = packet.rfind(b"</x:xmpmeta>")
    if end >= 0:
        packet = packet[: end + len(b"</x:xmpmeta>")]
    try:
        root = ElementTree.fromstring(packet)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return []
    found: list[XmpProperty] = []
    parents: dict | None = None  # child -> parent, built once on the first rdf:li (not once per item)
    for element in root.iter():
        for attr, value in element.attrib.items():
            if not attr.startswith("{" + _RDF) and not attr.startswith("{http://www.w3.org/XML"):
                found.append(XmpProperty(_qualified(attr), value))
        text = (element.text or "").strip()
        if text and not element.tag.startswith("{" + _RDF):
            found.append(XmpProperty(_qualified(element.tag), text))
        elif text and element.tag == "{" + _RDF + "}li":
            if parents is None:
                parents = {child: parent for parent in root.iter() for child in parent}
            found.append(XmpProperty(_parent_name(parents, element), text))
        if len(found) >= _MAX_PROPERTIES:
            break
    return found


def _qualified(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{PREFIXES.get(uri, uri.rstrip('/#').rsplit('/', 1)[-1])}:{local}"
    return tag


def _parent_name(parents: dict, item) -> str:
    # rdf:li values belong to the property two levels up (prop > rdf:Alt/Seq/Bag > rdf:li).
    node = parents.get(item)
    while node is not None and node.tag.startswith("{" + _RDF):
        node = parents.get(node)
    return _qualified(node.tag) if node is not None else "rdf:li"

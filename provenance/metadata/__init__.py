"""The ``metadata`` signal: EXIF, XMP, IPTC digital source type and generator text chunks."""

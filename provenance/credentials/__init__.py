"""Content Credentials (C2PA) through c2pa-python: read and verify manifests, decide trust, sign,
make development credentials, and turn a manifest into the ``c2pa`` signal.
"""

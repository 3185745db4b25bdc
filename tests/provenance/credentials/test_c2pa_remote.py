"""Remote manifests: reported and never fetched by default; fetched with allow_remote, with limits.

The test signs a file whose manifest lives at a URL on a local HTTP server it starts itself (no outside
network), so the remote path runs for real.
"""

from __future__ import annotations

import functools
import http.server
import io
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from tests.paths import C2PA_FIXTURES
from veracity.provenance.credentials.reader import ManifestReadError, read_manifest
from veracity.provenance.credentials.signing import build_manifest_definition
from veracity.provenance.credentials.trust import TrustSettings

FIXTURES = C2PA_FIXTURES
CERTS = FIXTURES / "certs"
TEST_ANCHORS = CERTS / "trust" / "test_cert_root_bundle.pem"

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def served(tmp_path: Path):
    """A file signed with a remote manifest reference, and the server that holds the manifest."""
    import c2pa

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/manifest.c2pa"
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    builder = c2pa.Builder(build_manifest_definition(title="remote", source_type="digitalCapture"), context=context)
    builder.set_no_embed()
    builder.set_remote_url(url)
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo("es256", (CERTS / "es256.pub").read_bytes(), (CERTS / "es256.pem").read_bytes(), None)
    )
    out = io.BytesIO()
    with open(FIXTURES / "media" / "c2pa-rs_no_manifest.jpg", "rb") as source:
        manifest = builder.sign(signer, "image/jpeg", source, out)
    (tmp_path / "manifest.c2pa").write_bytes(manifest)
    asset = tmp_path / "asset.jpg"
    asset.write_bytes(out.getvalue())
    yield asset, url
    server.shutdown()


def test_remote_manifest_is_not_fetched_by_default(served) -> None:
    asset, url = served
    result = read_manifest(asset, trust=TrustSettings.only(TEST_ANCHORS))
    assert (result.state, result.location, result.remote_url) == ("absent", "remote", url)


def test_remote_manifest_is_fetched_and_verified_when_allowed(served) -> None:
    asset, url = served
    trust = replace(TrustSettings.only(TEST_ANCHORS), allow_remote=True)
    result = read_manifest(asset, trust=trust)
    assert (result.state, result.location, result.remote_url) == ("trusted", "remote", url)


def test_remote_manifest_over_the_size_limit_is_refused(served) -> None:
    asset, _ = served
    trust = replace(TrustSettings.only(TEST_ANCHORS), allow_remote=True, remote_max_bytes=100)
    with pytest.raises(ManifestReadError, match="larger than 100 bytes"):
        read_manifest(asset, trust=trust)


def test_unreachable_remote_manifest_is_a_clear_error(served) -> None:
    asset, url = served
    (asset.parent / "manifest.c2pa").unlink()
    trust = replace(TrustSettings.only(TEST_ANCHORS), allow_remote=True)
    with pytest.raises(ManifestReadError, match="could not be fetched"):
        read_manifest(asset, trust=trust)

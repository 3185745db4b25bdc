"""Trust sources: bundled list, --trust-anchors, VERACITY_TRUST_ANCHORS, the user store; contexts per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from veracity.provenance.credentials.reader import read_manifest, verify_manifest
from veracity.provenance.credentials.trust import (
    BUNDLED_TRUST_LIST,
    ENV_TRUST_ANCHORS,
    TrustError,
    TrustSettings,
    add_user_anchors,
    context_settings,
    remove_user_anchor,
    resolve_trust_sources,
    user_store_source,
)

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "c2pa"
TEST_ANCHORS = FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"
SIGNED = FIXTURES / "media" / "c2pa-rs_CA.jpg"

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(ENV_TRUST_ANCHORS, raising=False)


def test_bundled_list_is_the_recorded_c2pa_trust_list() -> None:
    sources = resolve_trust_sources(TrustSettings())
    assert [s.kind for s in sources] == ["bundled"]
    assert len(sources[0].anchors) == 22
    assert (BUNDLED_TRUST_LIST.parent / "SOURCE.md").read_text().count("12421a5d12c05c25879ebf0ecd77553d2610781a") == 1


def test_no_default_trust_and_no_anchors_trusts_nobody() -> None:
    assert resolve_trust_sources(TrustSettings(use_default_trust=False)) == ()
    assert context_settings(()) == {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


def test_network_is_off_unless_allowed() -> None:
    assert context_settings((), allow_remote=False)["verify"]["remote_manifest_fetch"] is False
    assert context_settings((), allow_remote=True)["verify"]["remote_manifest_fetch"] is True


def test_flag_anchors_make_test_signer_trusted_and_name_the_anchor() -> None:
    trust = TrustSettings(anchor_files=(TEST_ANCHORS,), use_default_trust=False)
    assert read_manifest(SIGNED, trust=trust).state == "trusted"
    verified = verify_manifest(SIGNED, trust=trust)
    assert verified.trusted_by and "C2PA Test Root CA" in verified.trusted_by


def test_environment_variable_adds_anchors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TRUST_ANCHORS, str(TEST_ANCHORS))
    result = read_manifest(SIGNED, trust=TrustSettings(use_default_trust=False))
    assert result.state == "trusted"
    assert [s["kind"] for s in result.trust_sources] == ["environment"]


def test_user_store_add_show_remove(tmp_path: Path) -> None:
    store = tmp_path / "config" / "veracity" / "trust-anchors"
    added = add_user_anchors(TEST_ANCHORS)
    assert len(added) == 8 and len(list(store.glob("*.pem"))) == 8
    assert add_user_anchors(TEST_ANCHORS) == added  # idempotent
    assert read_manifest(SIGNED, trust=TrustSettings(use_default_trust=False)).state == "trusted"
    for anchor in added:
        remove_user_anchor(anchor.fingerprint[:12])
    assert user_store_source() is None
    assert read_manifest(SIGNED, trust=TrustSettings(use_default_trust=False)).state == "valid"


def test_remove_unknown_fingerprint_is_a_clear_error() -> None:
    with pytest.raises(TrustError, match="No anchor in the user trust store"):
        remove_user_anchor("deadbeef")
    with pytest.raises(TrustError, match="is not hex"):
        remove_user_anchor("zz")


def test_bad_anchor_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TrustError, match="holds no readable PEM certificate"):
        resolve_trust_sources(TrustSettings(anchor_files=(bad,)))
    with pytest.raises(TrustError, match="does not exist"):
        resolve_trust_sources(TrustSettings(anchor_files=(tmp_path / "missing.pem",)))


def test_contexts_are_per_call_not_global() -> None:
    trusted = read_manifest(SIGNED, trust=TrustSettings.only(TEST_ANCHORS))
    untrusted = read_manifest(SIGNED, trust=TrustSettings.only())
    again = read_manifest(SIGNED, trust=TrustSettings.only(TEST_ANCHORS))
    assert (trusted.state, untrusted.state, again.state) == ("trusted", "valid", "trusted")


def test_bundled_list_trusts_google_and_names_the_anchor() -> None:
    lady = FIXTURES / "media" / "huminify_lady.png"
    result = verify_manifest(lady, trust=TrustSettings.only(use_default_trust=True))
    assert result.state == "trusted"
    assert "Google" in result.trusted_by and "bundled" in result.trusted_by


def test_anchor_search_picks_the_right_source_among_several() -> None:
    trust = TrustSettings(anchor_files=(TEST_ANCHORS,), use_environment=False, use_user_store=False)
    result = verify_manifest(SIGNED, trust=trust)
    assert result.state == "trusted"
    assert "C2PA Test Root CA" in result.trusted_by and "--trust-anchors" in result.trusted_by

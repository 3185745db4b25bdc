"""Trust sources: bundled list, --trust-anchors, VERACITY_TRUST_ANCHORS, the user store; contexts per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import C2PA_FIXTURES
from veracity.provenance.credentials.reader import read_manifest, verify_manifest
from veracity.provenance.credentials.trust import (
    BUNDLED_TRUST_LIST,
    ENV_TRUST_ANCHORS,
    INTERIM_LIST_DATE,
    TrustError,
    TrustSettings,
    add_user_anchors,
    context_settings,
    remove_user_anchor,
    resolve_trust_sources,
    user_store_source,
)

FIXTURES = C2PA_FIXTURES
TEST_ANCHORS = FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"
SIGNED = FIXTURES / "media" / "c2pa-rs_CA.jpg"

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(ENV_TRUST_ANCHORS, raising=False)


def test_bundled_lists_are_the_recorded_c2pa_and_interim_lists() -> None:
    sources = resolve_trust_sources(TrustSettings())
    assert [s.kind for s in sources] == ["bundled", "interim"]
    assert len(sources[0].anchors) == 22
    assert (len(sources[1].anchors), sources[1].allowed_count) == (27, 115)
    assert "interim" in sources[1].name
    source_md = (BUNDLED_TRUST_LIST.parent / "SOURCE.md").read_text()
    assert source_md.count("12421a5d12c05c25879ebf0ecd77553d2610781a") == 1
    for commit in ("ba1ec218a49198a0d7dfa65f387bc34c8cafb69c", "95e9e61d0d832c2a60ba04d7a8a9c092d33ae4e8"):
        assert commit in source_md
    assert INTERIM_LIST_DATE in source_md


def test_interim_list_goes_to_c2pa_as_anchors_allowed_list_and_eku_config() -> None:
    settings = context_settings(resolve_trust_sources(TrustSettings(use_default_trust=False)))["trust"]
    assert "Adobe Root" in settings["trust_anchors"] and "user_anchors" not in settings
    assert settings["allowed_list"].count("=\n") >= 114
    assert "1.3.6.1.5.5.7.3.36" in settings["trust_config"]
    assert settings["trust_config"].count("1.3.6.1.5.5.7.3.4\n") == 1  # the two identical EKU lists merged


def test_interim_list_trusts_adobe_and_the_report_names_it() -> None:
    firefly = FIXTURES / "media" / "c2pa-rs_cai.jpg"
    without = verify_manifest(firefly, trust=TrustSettings.only(use_default_trust=True))
    with_interim = verify_manifest(firefly, trust=TrustSettings.only(use_interim_trust=True))
    assert (without.state, without.trust_list) == ("valid", None)
    assert (with_interim.state, with_interim.trust_list) == ("trusted", "interim")
    assert "Adobe Root CA" in with_interim.trusted_by and "interim trust list" in with_interim.trusted_by
    assert with_interim.to_dict()["trust_list_name"].startswith("the Content Credentials interim trust list")


def test_a_timestamped_signature_names_both_anchors_it_needs() -> None:
    sora = verify_manifest(
        FIXTURES / "media" / "huminify_videotest2.mp4", trust=TrustSettings.only(use_interim_trust=True)
    )
    assert sora.state == "trusted"
    assert "Truepic" in sora.trusted_by and "TimeStamping" in sora.trusted_by


def test_no_default_trust_and_no_anchors_trusts_nobody() -> None:
    assert resolve_trust_sources(TrustSettings(use_default_trust=False, use_interim_trust=False)) == ()
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
    result = read_manifest(SIGNED, trust=TrustSettings(use_default_trust=False, use_interim_trust=False))
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
    assert (result.state, result.trust_list) == ("trusted", "bundled")
    assert "Google" in result.trusted_by and "the C2PA trust list" in result.trusted_by


def test_anchor_search_picks_the_right_source_among_several() -> None:
    trust = TrustSettings(anchor_files=(TEST_ANCHORS,), use_environment=False, use_user_store=False)
    result = verify_manifest(SIGNED, trust=trust)
    assert result.state == "trusted"
    assert "C2PA Test Root CA" in result.trusted_by and "--trust-anchors" in result.trusted_by

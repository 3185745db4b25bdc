"""The verdict `veracity check --no-detector` gives every shared C2PA fixture (media/ and generated/).

Under the default trust (bundled C2PA trust list and the Content Credentials interim list; no user anchors,
no network). Each row: (label, deciding signal, certainty, tampered). Highlights:

- ``huminify_license_my.png`` (ChatGPT, intact manifest signed by OpenAI, certificate issued by Truepic, expired,
  no trusted timestamp, trainedAlgorithmicMedia on the parent ingredient's action): ``generated``, medium;
- ``huminify_videotest2.mp4`` (Sora, same signer but timestamped): trusted through the interim list, high;
- ``c2pa-rs_ocsp.jpg`` (Photoshop Generative Fill, composite, Firefly agent) and the Adobe Express PDF (an edit
  by Firefly): ``ai-edited``;
- tampered files (hash or signature mismatch) are never decided by their credentials and are flagged;
- ``gen_capture_es512.mp4``: a capture claim by a test signer nobody trusts is context, so ``inconclusive``.

Time: signatures without a trusted timestamp are checked against today's date; after the test certificates
expire (2030-08-26) their signer becomes "expired" instead of "untrusted", which words the verdict
differently but leaves every row of this table unchanged.
"""

from __future__ import annotations

import pytest

from tests.paths import C2PA_FIXTURES
from veracity.provenance.credentials.trust import ENV_TRUST_ANCHORS, TrustSettings
from veracity.provenance.options import AnalysisOptions
from veracity.provenance.pipeline import analyze, analyze_or_error
from veracity.provenance.report import ErrorRecord

FIXTURES = C2PA_FIXTURES
TEST_ANCHORS = FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"

EXPECTED = {
    "media/c2pa-js_firefly_thirdparty_gemini.png": ("generated", "c2pa", "high", False),
    "media/c2pa-node_cloud-only-firefly.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-node_ingredient-with-data-types.jpg": ("generated", "c2pa", "high", False),
    "media/c2pa-node_testv2.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-python_C.dng": ("inconclusive", None, "none", False),
    "media/c2pa-python_pdf-file.pdf": ("ai-edited", "c2pa", "high", False),
    "media/c2pa-rs_C.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_CA.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_CACA.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_CIE-sig-CA.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_E-sig-CA.jpg": ("inconclusive", None, "none", True),
    "media/c2pa-rs_IMG_0003_aca.png": ("inconclusive", None, "none", False),
    "media/c2pa-rs_XCA.jpg": ("inconclusive", None, "none", True),
    "media/c2pa-rs_adobe-20220124-E-clm-CAICAI.jpg": ("inconclusive", None, "none", True),
    "media/c2pa-rs_basic.pdf": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb-signed.gif": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb-signed.mp3": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb-signed.mp4": ("inconclusive", None, "none", True),
    "media/c2pa-rs_bench-100kb-signed.png": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb-signed.tiff": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb.gif": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb.mp3": ("inconclusive", None, "none", False),
    "media/c2pa-rs_bench-100kb.wav": ("inconclusive", None, "none", False),
    "media/c2pa-rs_boxhash.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cai.jpg": ("generated", "c2pa", "high", False),
    "media/c2pa-rs_cawg-claim_aggregation-adobe_connected_identities.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cawg-claim_aggregation-ica_validation-signature_mismatch.jpg": ("inconclusive", None, "none", True),
    "media/c2pa-rs_cawg-claim_aggregation-ica_validation-success.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cawg-validation_method-malformed_cbor.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cawg-validation_method-pad1_invalid.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cli-C_with_CAWG_data.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cli-libpng-test.png": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cloud.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_cloud_manifest.c2pa": ("inconclusive", None, "none", True),
    "media/c2pa-rs_dash1.m4s": ("inconclusive", None, "none", False),
    "media/c2pa-rs_dashinit.mp4": ("inconclusive", None, "none", True),
    "media/c2pa-rs_legacy.mp4": ("inconclusive", None, "none", False),
    "media/c2pa-rs_legacy_ingredient_hash.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_libpng-test_with_url.png": ("inconclusive", None, "none", False),
    "media/c2pa-rs_manifest_data.c2pa": ("inconclusive", None, "none", True),
    "media/c2pa-rs_nested_moov_1000.mp4": ("inconclusive", None, "none", False),
    "media/c2pa-rs_no_alg.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_no_manifest.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_ocsp.jpg": ("ai-edited", "c2pa", "high", False),
    "media/c2pa-rs_prerelease.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_riff_bomb_1000.wav": ("inconclusive", None, "none", False),
    "media/c2pa-rs_sample1.avif": ("inconclusive", None, "none", False),
    "media/c2pa-rs_sample1.svg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_sample3.svg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_stripped.jpg": ("inconclusive", None, "none", True),
    "media/c2pa-rs_test.webp": ("inconclusive", None, "none", False),
    "media/c2pa-rs_tiff_poc.tiff": ("error", None, None, False),
    "media/c2pa-rs_update_manifest.jpg": ("inconclusive", None, "none", False),
    "media/c2pa-rs_video1.mp4": ("inconclusive", None, "none", False),
    "media/c2pa-ts_amazon-titan-g1.png": ("generated", "c2pa", "medium", False),
    "media/c2pa-ts_c2pa.tiff": ("inconclusive", None, "none", False),
    "media/c2pa-ts_c2pa_signed_ed25519.tiff": ("inconclusive", None, "none", False),
    "media/c2pa-ts_test-video.mp4": ("inconclusive", None, "none", False),
    "media/c2pa-ts_trustnxt-icon-signed-c2patool.heic": ("inconclusive", None, "none", False),
    "media/c2pa-ts_trustnxt-icon-signed-v2-bmff-2.heic": ("inconclusive", None, "none", True),
    "media/c2pa-ts_trustnxt-icon-signed-v3-bmff.heic": ("inconclusive", None, "none", False),
    "media/c2pa-ts_trustnxt-icon.heic": ("inconclusive", None, "none", False),
    "media/cai-testing_E-uri-CIE-sig-CA.jpg": ("inconclusive", None, "none", True),
    "media/cai-testing_composite-dst.jpg": ("ai-edited", "c2pa", "medium", False),
    "media/cai-testing_firefly-1.jpg": ("generated", "c2pa", "high", False),
    "media/huminify_lady.png": ("generated", "c2pa", "high", False),
    "media/huminify_license_my.png": ("generated", "c2pa", "medium", False),
    "media/huminify_videotest2.mp4": ("generated", "c2pa", "high", False),
    "media/ptf_adobe-20220124-CAICAI.jpg": ("inconclusive", None, "none", False),
    "media/ptf_adobe-20220124-CICA.jpg": ("inconclusive", None, "none", False),
    "media/ptf_adobe-20220124-E-uri-CA.jpg": ("inconclusive", None, "none", True),
    "media/ptf_adobe-20220124-E-uri-CIE-sig-CA.jpg": ("inconclusive", None, "none", True),
    "media/ptf_adobe-20220124-XCI.jpg": ("inconclusive", None, "none", True),
    "media/ptf_monotype-20240712-monotype_sans.ttf": ("inconclusive", None, "none", False),
    "media/ptf_nikon-20221019-building.jpeg": ("inconclusive", None, "none", False),
    "media/ptf_truepic-20230212-camera.jpg": ("inconclusive", None, "none", True),
    "media/s4m_PTS_TRUSTED_sony_official_cawg_wdr.mp4": ("inconclusive", None, "none", False),
    "generated/gen_ai-created_ed25519.heic": ("generated", "c2pa", "medium", False),
    "generated/gen_ai-created_es256.jpg": ("generated", "c2pa", "medium", False),
    "generated/gen_ai-created_es256_nothumb.png": ("generated", "c2pa", "medium", False),
    "generated/gen_ai-created_es384.pdf": ("generated", "c2pa", "medium", False),
    "generated/gen_ai-created_ps256_nothumb.webp": ("generated", "c2pa", "medium", False),
    "generated/gen_capture_es512.mp4": ("inconclusive", None, "none", False),
    "generated/gen_edit-of-CA_composite-ai_es256_nothumb.jpg": ("ai-edited", "c2pa", "medium", False),
    "generated/gen_intent-create_ps384_nothumb.jpg": ("generated", "c2pa", "medium", False),
}

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared C2PA fixtures not found beside the repository")


@pytest.fixture(autouse=True)
def _no_personal_trust(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(ENV_TRUST_ANCHORS, raising=False)


def test_every_fixture_has_an_expected_verdict() -> None:
    on_disk = sorted(f"{p.parent.name}/{p.name}" for d in ("media", "generated") for p in (FIXTURES / d).iterdir())
    assert on_disk == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdict(name: str) -> None:
    label, decider, certainty, tampered = EXPECTED[name]
    record = analyze_or_error(FIXTURES / name, options=AnalysisOptions())
    if label == "error":
        assert isinstance(record, ErrorRecord)
        return
    verdict = record.verdict
    assert (verdict.label, verdict.deciding_signal, verdict.certainty, verdict.tampered) == (
        label,
        decider,
        certainty,
        tampered,
    )
    if tampered:
        assert verdict.headline.startswith("Content Credentials")


def test_chatgpt_image_names_the_tool_the_signer_and_why_it_is_not_confirmed() -> None:
    verdict = analyze(FIXTURES / "media" / "huminify_license_my.png").verdict
    assert "GPT-4o" in verdict.headline and "OpenAI" in verdict.decided_by
    assert "expired" in verdict.certainty_words


def test_generative_fill_names_firefly() -> None:
    report = analyze(FIXTURES / "media" / "c2pa-rs_ocsp.jpg")
    assert report.verdict.label == "ai-edited" and "Firefly" in report.verdict.headline
    assert report.signal("c2pa").details["trust_list"] == "interim"


def test_trusted_capture_claim_is_captured_and_names_the_user_anchor() -> None:
    trust = TrustSettings.only(TEST_ANCHORS)
    report = analyze(FIXTURES / "generated" / "gen_capture_es512.mp4", options=AnalysisOptions(
        signal_settings={"c2pa": trust}))  # fmt: skip
    assert (report.verdict.label, report.verdict.certainty) == ("captured", "high")
    assert report.signal("c2pa").details["trust_list"] == "--trust-anchors"


def test_without_the_interim_list_adobe_is_no_longer_trusted() -> None:
    options = AnalysisOptions(signal_settings={"c2pa": TrustSettings(use_interim_trust=False)})
    report = analyze(FIXTURES / "media" / "c2pa-rs_cai.jpg", options=options)
    assert (report.verdict.label, report.verdict.certainty) == ("generated", "medium")

"""The c2pa signal under the fusion rules: declarations count when the manifest still binds to the file,
whoever signed it; tampered manifests declare nothing for the file."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from tests.paths import C2PA_FIXTURES
from veracity.provenance import labels
from veracity.provenance.credentials.trust import TrustSettings
from veracity.provenance.options import AnalysisOptions
from veracity.provenance.pipeline import analyze, analyze_or_error
from veracity.provenance.report import load_report_schema

FIXTURES = C2PA_FIXTURES
TEST_ANCHORS = FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


def _options(*anchors: Path) -> AnalysisOptions:
    return AnalysisOptions(signal_settings={labels.C2PA: TrustSettings.only(*anchors)})


def _c2pa(report):
    return next(s for s in report.signals if s.name == labels.C2PA)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("generated/gen_ai-created_es256.jpg", "generated"),  # active manifest trainedAlgorithmicMedia
        ("media/c2pa-js_firefly_thirdparty_gemini.png", "generated"),  # vendor parameter only
        ("media/cai-testing_firefly-1.jpg", "generated"),  # legacy com.adobe.generative-ai assertion
        ("media/c2pa-python_pdf-file.pdf", "ai-edited"),  # an edit by Firefly, generated components
        ("media/cai-testing_composite-dst.jpg", "ai-edited"),  # compositeWithTrainedAlgorithmicMedia
        ("media/c2pa-rs_ocsp.jpg", "ai-edited"),  # Generative Fill: composite, generated component
        ("media/c2pa-rs_C.jpg", "inconclusive"),  # algorithmicMedia is not AI
        ("media/huminify_license_my.png", "generated"),  # intact, signer expired: still counts
        ("media/huminify_videotest2.mp4", "generated"),  # same, expired certificate
        ("generated/gen_capture_es512.mp4", "inconclusive"),  # capture, but untrusted here
    ],
)
def test_declarations_count_when_the_manifest_binds_to_the_file(name: str, label: str) -> None:
    report = analyze(FIXTURES / name, options=_options())
    assert report.verdict.label == label
    if label in ("generated", "ai-edited"):
        assert report.verdict.deciding_signal == labels.C2PA


def test_trusted_capture_is_captured() -> None:
    report = analyze(FIXTURES / "generated" / "gen_capture_es512.mp4", options=_options(TEST_ANCHORS))
    assert (report.verdict.label, report.verdict.deciding_signal) == ("captured", labels.C2PA)


def test_expired_signer_keeps_the_declaration_and_says_why_the_signer_is_unconfirmed() -> None:
    signal = _c2pa(analyze(FIXTURES / "media" / "huminify_license_my.png", options=_options()))
    ai = [f for f in signal.findings if f.kind.startswith("c2pa.source_type.")]
    assert ai and all(f.implies == labels.IMPLIES_GENERATED for f in ai)
    assert signal.details["state"] == "invalid"
    assert signal.details["assessment"]["integrity"] == "intact"
    assert signal.details["assessment"]["signer_trust"] == "expired-or-revoked"


def test_tampered_manifest_declaration_is_context_only(tmp_path: Path) -> None:
    import io

    from PIL import Image

    signed = (FIXTURES / "generated" / "gen_ai-created_es256.jpg").read_bytes()
    start = signed.index(b"\xff\xda")  # change a byte of the scan data: the data hash no longer matches
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(signed[: start + 200] + bytes([signed[start + 200] ^ 0x01]) + signed[start + 201 :])
    Image.open(io.BytesIO(tampered.read_bytes())).load()
    report = analyze(tampered, options=_options())
    signal = _c2pa(report)
    assert signal.details["assessment"]["integrity"] == "tampered"
    assert all(f.implies == labels.IMPLIES_NOTHING for f in signal.findings if f.kind.startswith("c2pa.source"))
    assert report.verdict.tampered and report.verdict.headline.startswith("Content Credentials do not match")
    assert report.verdict.label == "inconclusive"


def test_remote_manifest_is_reported_with_its_url() -> None:
    signal = _c2pa(analyze(FIXTURES / "media" / "c2pa-rs_cloud.jpg", options=_options()))
    assert signal.status == labels.FOUND
    assert signal.findings[0].kind == "c2pa.remote"
    assert signal.details["remote_url"].startswith("https://")


@pytest.mark.slow
def test_check_over_every_fixture_gives_schema_valid_records() -> None:
    schema = load_report_schema()
    files = sorted(p for p in (FIXTURES / "media").iterdir() if p.is_file())
    for path in files:
        record = analyze_or_error(path, options=_options())
        jsonschema.validate(record.to_dict(), schema)

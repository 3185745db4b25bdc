"""``veracity provenance ...`` and the C2PA options of ``veracity check``, through Click's runner."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.paths import C2PA_FIXTURES
from veracity.cli.main import main

FIXTURES = C2PA_FIXTURES
CERTS = FIXTURES / "certs"
TEST_ANCHORS = CERTS / "trust" / "test_cert_root_bundle.pem"
PLAIN_JPEG = FIXTURES / "media" / "c2pa-rs_no_manifest.jpg"

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("VERACITY_TRUST_ANCHORS", raising=False)
    return CliRunner()


def _run(runner: CliRunner, *args: object):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_read_json_reports_state_groups_and_ai(runner: CliRunner) -> None:
    result = _run(runner, "provenance", "read", FIXTURES / "media" / "c2pa-rs_XCA.jpg", "--format", "json")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["state"] == "invalid"
    assert [c["code"] for c in payload["groups"]["tampered"]] == ["assertion.dataHash.mismatch"]
    assert payload["ingredient_count"] == 1


def test_read_tree_shows_nested_ingredients(runner: CliRunner) -> None:
    result = _run(runner, "provenance", "read", FIXTURES / "media" / "ptf_adobe-20220124-CAICAI.jpg", "--tree")
    assert result.exit_code == 0
    assert "CAI.jpg (componentOf" in result.stdout
    assert "      - I.jpg" in result.stdout  # the ingredient's own ingredient, one level deeper


def test_read_file_without_manifest_is_friendly(runner: CliRunner) -> None:
    result = _run(runner, "provenance", "read", PLAIN_JPEG)
    assert result.exit_code == 0
    assert "No Content Credentials" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("anchors", "require", "code"),
    [((), "valid", 0), ((), "trusted", 1), ((TEST_ANCHORS,), "trusted", 0)],
)
def test_verify_exit_code_follows_require(runner: CliRunner, anchors, require, code) -> None:
    args = ["provenance", "verify", FIXTURES / "media" / "c2pa-rs_CA.jpg", "--no-default-trust", "--require", require]
    for anchor in anchors:
        args += ["--trust-anchors", anchor]
    result = _run(runner, *args)
    assert result.exit_code == code
    assert ("does NOT meet" in result.stdout) == (code == 1)


def test_verify_absent_fails_requirement(runner: CliRunner) -> None:
    assert _run(runner, "provenance", "verify", PLAIN_JPEG).exit_code == 1


def test_sign_then_verify_trusted_and_source_untouched(runner: CliRunner, tmp_path: Path) -> None:
    before = hashlib.sha256(PLAIN_JPEG.read_bytes()).hexdigest()
    out = tmp_path / "signed.jpg"
    result = _run(runner, "provenance", "sign", PLAIN_JPEG, "-o", out, "--cert", CERTS / "es256.pub",
                  "--key", CERTS / "es256.pem", "--source-type", "digitalCapture", "--no-thumbnail")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "ES256" in result.stdout
    assert "PRIVATE KEY" not in result.stdout + result.stderr
    assert hashlib.sha256(PLAIN_JPEG.read_bytes()).hexdigest() == before
    verified = _run(runner, "provenance", "verify", out, "--trust-anchors", TEST_ANCHORS, "--require", "trusted")
    assert verified.exit_code == 0


def test_sign_refuses_existing_output(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    out.write_bytes(b"keep")
    result = _run(runner, "provenance", "sign", PLAIN_JPEG, "-o", out, "--cert", CERTS / "es256.pub",
                  "--key", CERTS / "es256.pem", "--source-type", "digitalCapture")  # fmt: skip
    assert result.exit_code == 1
    assert "--overwrite" in result.stderr
    assert out.read_bytes() == b"keep"


def test_keygen_sign_verify_end_to_end(runner: CliRunner, tmp_path: Path) -> None:
    made = _run(runner, "provenance", "keygen", tmp_path / "dev")
    assert made.exit_code == 0 and "FOR TESTING ONLY" in made.stdout
    out = tmp_path / "signed.jpg"
    dev = tmp_path / "dev"
    signed = _run(runner, "provenance", "sign", PLAIN_JPEG, "-o", out, "--cert", dev / "dev-signer-chain.pem",
                  "--key", dev / "dev-signer-key.pem", "--source-type", "digitalCapture")  # fmt: skip
    assert signed.exit_code == 0, signed.stderr
    verify = _run(runner, "provenance", "verify", out, "--trust-anchors", tmp_path / "dev" / "dev-root-ca.pem",
                  "--require", "trusted", "--format", "json")  # fmt: skip
    assert verify.exit_code == 0
    assert json.loads(verify.stdout)["trusted_by"].startswith("CN=veracity development root CA")
    again = _run(runner, "provenance", "keygen", tmp_path / "dev")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_trust_add_show_remove(runner: CliRunner) -> None:
    added = _run(runner, "provenance", "trust", "add", TEST_ANCHORS)
    assert added.exit_code == 0 and added.stdout.count("added") == 8
    shown = _run(runner, "provenance", "trust", "show", "--format", "json")
    kinds = [s["kind"] for s in json.loads(shown.stdout)]
    assert kinds == ["bundled", "interim", "user-store"]
    without = _run(runner, "provenance", "trust", "show", "--no-interim-trust", "--format", "json")
    assert [s["kind"] for s in json.loads(without.stdout)] == ["bundled", "user-store"]
    fingerprint = json.loads(shown.stdout)[2]["anchors"][0]["fingerprint"]
    removed = _run(runner, "provenance", "trust", "remove", fingerprint[:10])
    assert removed.exit_code == 0 and "removed" in removed.stdout
    missing = _run(runner, "provenance", "trust", "remove", fingerprint[:10])
    assert missing.exit_code == 1 and "No anchor" in missing.stderr


def test_check_uses_trust_options(runner: CliRunner) -> None:
    args = ["check", FIXTURES / "generated" / "gen_capture_es512.mp4", "--format", "json", "--no-default-trust"]
    untrusted = json.loads(_run(runner, *args).stdout)[0]
    trusted = json.loads(_run(runner, *args, "--trust-anchors", TEST_ANCHORS).stdout)[0]
    assert untrusted["verdict"]["label"] == "inconclusive"
    assert trusted["verdict"]["label"] == "captured"


def test_sign_with_a_key_as_certificate_never_echoes_the_key(runner: CliRunner, tmp_path: Path) -> None:
    key_text = (CERTS / "es256.pem").read_text()
    secret_line = key_text.splitlines()[1]
    result = _run(runner, "provenance", "sign", PLAIN_JPEG, "-o", tmp_path / "o.jpg", "--cert", CERTS / "es256.pem",
                  "--key", CERTS / "es256.pem", "--source-type", "digitalCapture")  # fmt: skip
    assert result.exit_code == 1
    assert "Nothing was written" in result.stderr
    assert secret_line not in result.stdout + result.stderr and "PRIVATE KEY" not in result.stderr
    assert not (tmp_path / "o.jpg").exists()

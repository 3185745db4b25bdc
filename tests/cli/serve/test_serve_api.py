"""The /v1 API of a real ``veracity serve`` on loopback: every endpoint, every error status, OpenAPI and docs."""

from __future__ import annotations

import http.client
import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.serve.serving import MAX_BYTES, MAX_PIXELS, TRUST_BUNDLE, veracity_command
from tests.images import png_bomb
from tests.paths import C2PA_FIXTURES, REPO
from veracity.detector.default import DEFAULT_DETECTOR
from veracity.provenance.report import SCHEMA_VERSION

pytestmark = pytest.mark.slow  # a real server in a subprocess per test module

SAMPLES = REPO / "samples"


def _stable(record: dict) -> dict:
    """A record without its timings, which differ from run to run."""
    record = json.loads(json.dumps(record))
    record.pop("elapsed_ms", None)
    for signal in record.get("signals", []):
        signal.pop("elapsed_ms", None)
    return record


def _cli_records(path: Path) -> list[dict]:
    """What ``veracity check --format json`` prints for ``path``, run from its folder so inputs name the file."""
    args = ["check", "--format", "json", "--max-bytes", str(MAX_BYTES), "--max-pixels", str(MAX_PIXELS)]
    if TRUST_BUNDLE.is_file():
        args += ["--trust-anchors", str(TRUST_BUNDLE)]
    done = subprocess.run(
        [*veracity_command(), *args, path.name], cwd=path.parent, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _comparison_files(tmp_path: Path) -> list[Path]:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    files = [SAMPLES / "webui-parameters.png", SAMPLES / "camera-exif-tags.jpg", broken]
    generated = C2PA_FIXTURES / "generated"
    files += [p for p in (generated / "gen_ai-created_es256.jpg", generated / "gen_capture_es512.mp4") if p.exists()]
    return files


def test_check_answers_what_the_cli_prints_for_the_same_bytes(server, tmp_path, validate_record):
    files = _comparison_files(tmp_path)
    for path in files:
        (expected,) = _cli_records(path)
        multipart = server.client.post("/v1/check", files={"file": (path.name, path.read_bytes())})
        raw = server.client.post("/v1/check", params={"name": path.name}, content=path.read_bytes())
        for response in (multipart, raw):
            assert response.status_code == (200 if expected["record_type"] == "report" else 422), response.text
            assert _stable(validate_record(response.json())) == _stable(expected), path.name
    labels = {p.name: server.client.post("/v1/check", content=p.read_bytes()).json() for p in files}
    assert labels["webui-parameters.png"]["verdict"]["label"] == "generated"
    if "gen_ai-created_es256.jpg" in labels:  # the trust anchors reached the workers: the signer is trusted
        signal = next(s for s in labels["gen_ai-created_es256.jpg"]["signals"] if s["name"] == "c2pa")
        assert signal["details"]["state"] == "trusted"


def test_raw_body_without_a_name_is_called_upload_and_names_lose_their_folders(server, small_jpeg):
    unnamed = server.client.post("/v1/check", content=small_jpeg.read_bytes())
    assert unnamed.status_code == 200 and unnamed.json()["input"] == "upload"
    sneaky = server.client.post("/v1/check", files={"file": ("../../etc/x.jpg", small_jpeg.read_bytes())})
    assert sneaky.status_code == 200 and sneaky.json()["input"] == "x.jpg"
    windows = server.client.post("/v1/check", params={"name": "C:\\photos\\y\x07.jpg"}, content=small_jpeg.read_bytes())
    assert windows.status_code == 200 and windows.json()["input"] == "y.jpg"


def test_unsupported_medium_is_415_with_the_error_record(server):
    response = server.client.post("/v1/check", files={"file": ("notes.txt", b"just some text, not an image\n")})
    assert response.status_code == 415
    body = response.json()
    assert body["record_type"] == "error" and body["error"]["kind"] == "UnsupportedMediaError"
    assert "notes.txt: not a supported image" in body["error"]["message"]


def test_corrupt_empty_and_over_the_pixel_limit_are_422(server, tmp_path):
    truncated = (SAMPLES / "camera-exif-tags.jpg").read_bytes()[:3000]
    bomb = png_bomb(tmp_path / "bomb.png", 6000, 6000).read_bytes()  # 36 MP > the server's 20 MP limit
    cases = {"truncated.jpg": truncated, "empty.jpg": b"", "bomb.png": bomb}
    kinds = {}
    for name, data in cases.items():
        response = server.client.post("/v1/check", files={"file": (name, data)})
        assert response.status_code == 422, (name, response.text)
        kinds[name] = response.json()["error"]["kind"]
        assert response.json()["error"]["message"].startswith(name)
    assert kinds == {
        "truncated.jpg": "CorruptAssetError",
        "empty.jpg": "EmptyAssetError",
        "bomb.png": "AssetLimitError",
    }
    message = server.client.post("/v1/check", files={"file": ("bomb.png", bomb)}).json()["error"]["message"]
    assert "over the limit of 20,000,000 pixels" in message


def test_over_the_byte_limit_is_413_before_the_body_is_read(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:  # declare a 1 GB body and send none of it: the answer must not wait for the body
        connection.putrequest("POST", "/v1/check")
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(10**9))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["kind"] == "UploadTooLarge"
    finally:
        connection.close()


def test_over_the_byte_limit_is_413_while_streaming(server):
    chunk = b"\x00" * 1_000_000

    def body():  # chunked transfer: no length is declared, the server counts as the bytes come in
        yield from (chunk for _ in range(40))

    response = server.client.post("/v1/check", content=body())
    assert response.status_code == 413
    assert "limit of 4,000,000 bytes" in response.json()["error"]["message"]
    record = server.access_record(response.headers["x-request-id"])
    assert record["status"] == 413 and MAX_BYTES < record["bytes_in"] < 10 * MAX_BYTES  # it stopped reading
    multipart = server.client.post("/v1/check", files={"file": ("big.jpg", b"\xff" * (MAX_BYTES + 1))})
    assert multipart.status_code == 413


def test_malformed_requests_are_400_with_a_reason(server, small_jpeg):
    form = b'--xyz\r\nContent-Disposition: form-data; name="comment"\r\n\r\nhello\r\n--xyz--\r\n'
    no_file = server.client.post(
        "/v1/check", content=form, headers={"Content-Type": "multipart/form-data; boundary=xyz"}
    )
    assert no_file.status_code == 400
    assert no_file.json()["error"]["kind"] == "BadUpload" and "part named 'file'" in no_file.text
    no_boundary = server.client.post("/v1/check", content=form, headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400 and "boundary" in no_boundary.text
    bad_format = server.client.post("/v1/check", params={"format": "xml"}, content=small_jpeg.read_bytes())
    assert bad_format.status_code == 400 and "format" in bad_format.json()["error"]["message"]
    missing = server.client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["kind"] == "NotFound"


def test_health_version_and_detectors(server):
    health = server.client.get("/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] in ("ok", "degraded") and health.json()["ready"] is True
    version = server.client.get("/v1/version").json()
    assert version["api"] == "v1" and version["report_schema"] == SCHEMA_VERSION
    assert version["detector"] == version["model"]["name"] == DEFAULT_DETECTOR
    assert len(version["model"]["weights_sha256"]) == 64
    from veracity import __version__

    assert version["veracity"] == __version__
    detectors = server.client.get("/v1/detectors").json()
    assert detectors["active"] == DEFAULT_DETECTOR
    assert [d["name"] for d in detectors["detectors"] if d["active"]] == [DEFAULT_DETECTOR]


def test_openapi_document_and_offline_docs(server):
    document = server.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/v1/check", "/v1/health", "/v1/version", "/v1/detectors"} <= set(document["paths"])
    check = document["paths"]["/v1/check"]["post"]
    assert {"200", "413", "415", "422", "429", "503", "504"} <= set(check["responses"])
    assert set(check["requestBody"]["content"]) == {"multipart/form-data", "application/octet-stream"}
    schemas = document["components"]["schemas"]
    assert "VeracityReport" in schemas and "VeracityReport_verdict" in schemas
    refs = [v for v in _walk(document) if isinstance(v, str) and v.startswith("#/")]
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs), "dangling $ref"
    docs = server.client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.split("swagger-ui-bundle.js")[0].rsplit('src="', 1)[-1]  # served here
    bundle = server.client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_responses_carry_a_request_id_and_the_access_log_holds_no_contents(server, small_jpeg):
    secret = b"veracity-secret-comment-" + b"x" * 16
    data = small_jpeg.read_bytes()
    data = data[:2] + b"\xff\xfe" + (len(secret) + 2).to_bytes(2, "big") + secret + data[2:]
    response = server.client.post("/v1/check", params={"name": "private.jpg"}, content=data)
    assert response.status_code == 200
    record = server.access_record(response.headers["x-request-id"])
    assert record["event"] == "request" and record["path"] == "/v1/check" and record["status"] == 200
    assert record["verdict"] == response.json()["verdict"]["label"]
    assert record["bytes_in"] == len(data)
    log = server.log_text()
    assert secret.decode() not in log and "private.jpg" not in log  # no contents, no query string


def test_uploads_stay_in_a_private_folder_removed_after_each_request(server, small_jpeg):
    folders = _upload_folders(server)
    assert len(folders) == 1
    folder = folders[0]
    assert folder.stat().st_mode & 0o777 == 0o700
    for _ in range(3):
        assert server.client.post("/v1/check", content=small_jpeg.read_bytes()).status_code == 200
    server.client.post("/v1/check", content=b"\x00" * (MAX_BYTES + 10))
    assert list(folder.iterdir()) == []


def test_cors_is_off_unless_configured(server):
    preflight = server.client.options(
        "/v1/check", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def _upload_folders(server) -> list[Path]:
    """The private upload folders the server logged at start-up."""
    return [Path(r["path"]) for r in server.log_records() if r.get("event") == "upload_folder"]


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)

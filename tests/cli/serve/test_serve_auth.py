"""API keys and CORS on a real ``veracity serve``; the keys file; keys never logged."""

from __future__ import annotations

import subprocess

import pytest

from tests.cli.serve.serving import Server, veracity_command
from veracity.cli.serve.auth import ApiKeys
from veracity.cli.serve.errors import ApiKeyFileError

pytestmark = pytest.mark.slow  # a real server in a subprocess per test module

KEYS = ("k-newsroom-0123456789abcdef", "k-pipeline-fedcba9876543210")
ORIGIN = "https://newsroom.example"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keyed")
    keys = folder / "keys.txt"
    keys.write_text(f"# the newsroom's page\n{KEYS[0]}\n\n  {KEYS[1]}  \n", encoding="utf-8")
    args = ["--no-detector", "--workers", "1", "--api-keys", str(keys), "--cors-origin", ORIGIN]
    running = Server(args, folder / "server.log")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_without_a_key_the_api_answers_401_but_health_and_the_page_stay_open(keyed_server, small_jpeg):
    client = keyed_server.client
    for method, path in [("POST", "/v1/check"), ("GET", "/v1/version"), ("GET", "/v1/detectors")]:
        response = client.request(method, path, content=small_jpeg.read_bytes() if method == "POST" else None)
        assert response.status_code == 401, path
        assert response.json()["error"]["kind"] == "Unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/health").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_either_key_in_either_header_is_accepted_and_a_wrong_one_is_not(keyed_server, small_jpeg):
    client = keyed_server.client
    data = small_jpeg.read_bytes()
    bearer = client.post("/v1/check", content=data, headers={"Authorization": f"Bearer {KEYS[0]}"})
    header = client.post("/v1/check", content=data, headers={"X-API-Key": KEYS[1]})
    assert bearer.status_code == header.status_code == 200
    assert bearer.json()["verdict"]["deciding_signal"] is None  # --no-detector: provenance signals only
    wrong = client.post("/v1/check", content=data, headers={"Authorization": f"Bearer {KEYS[0]}x"})
    assert wrong.status_code == 401 and "not accepted" in wrong.json()["error"]["message"]
    assert KEYS[0] not in wrong.text
    version = client.get("/v1/version", headers={"X-API-Key": KEYS[0]}).json()
    assert version["detector"] is None and version["model"] is None


def test_keys_are_never_logged(keyed_server, small_jpeg):
    keyed_server.client.post("/v1/check", content=small_jpeg.read_bytes(), headers={"X-API-Key": KEYS[1]})
    keyed_server.client.get("/v1/version", headers={"Authorization": "Bearer not-a-key-but-secret-text"})
    log = keyed_server.log_text()
    assert "/v1/version" in log
    assert all(secret not in log for secret in (*KEYS, "not-a-key-but-secret-text"))


def test_the_openapi_document_declares_the_key_schemes(keyed_server):
    document = keyed_server.client.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(document["components"]["securitySchemes"])


def test_cors_allows_only_the_configured_origin(keyed_server):
    def preflight(origin: str):
        return keyed_server.client.options(
            "/v1/check",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )

    allowed = preflight(ORIGIN)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    refused = preflight("https://elsewhere.example")
    assert "access-control-allow-origin" not in refused.headers


def test_keys_file_rules(tmp_path):
    keys = ApiKeys(["a" * 20, "b" * 20])
    assert keys.accepts("a" * 20) and keys.accepts("b" * 20)
    assert not keys.accepts("a" * 19) and not keys.accepts("") and not keys.accepts(None)
    assert "aaaa" not in repr(keys)
    short = tmp_path / "short.txt"
    short.write_text("tooshort\n", encoding="utf-8")
    with pytest.raises(ApiKeyFileError, match="shorter than 16 characters"):
        ApiKeys.load(short)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(ApiKeyFileError, match="at least one key"):
        ApiKeys.load(empty)


def test_serve_refuses_an_unusable_keys_file_before_starting(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("secret-but-short\nx\n", encoding="utf-8")
    done = subprocess.run(
        [*veracity_command(), "serve", "--api-keys", str(keys)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "shorter than 16 characters" in done.stderr and "secret-but-short" not in done.stderr

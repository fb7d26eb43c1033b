"""Bearer-token auth for real over loopback: a local identity provider (RSA key, JWKS, OIDC discovery)
and trip-server subprocesses configured to trust it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastmcp import Client
from fastmcp.exceptions import ToolError
from fastmcp.server.auth import AccessToken

from mcp_server.auth import owner_of
from mcp_server.errors import ConfigError
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import MODES, Human, llm, start_server_process
from tests.mcp_server.test_server_security import HEADERS, INITIALIZE

CLIENT_A, CLIENT_B = "app-client-a", "app-client-b"
SCOPE = "trips/book"
PUBLIC_BASE = "https://planner.example"


@dataclass
class IdentityProvider:
    """Signs tokens with a fresh RSA key whose JWKS and discovery document it serves on loopback."""

    issuer: str
    key: rsa.RSAPrivateKey
    kid: str = "test-key-1"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def token(self, *, key: rsa.RSAPrivateKey | None = None, expires_in: int = 600, **claims: object) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": "user-a",
            "client_id": CLIENT_A,
            "token_use": "access",
            "scope": f"openid {SCOPE}",
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})


def _serve_identity_provider() -> tuple[IdentityProvider, ThreadingHTTPServer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = IdentityProvider(issuer=f"http://127.0.0.1:{server.server_address[1]}", key=key)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": provider.kid, "use": "sig", "alg": "RS256"}
    documents = {
        "/.well-known/openid-configuration": {"issuer": provider.issuer, "jwks_uri": f"{provider.issuer}/jwks.json"},
        "/jwks.json": {"keys": [jwk]},
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server.RequestHandlerClass = Handler
    return provider, server


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    provider, server = _serve_identity_provider()
    # The socket already listens (bound in the constructor): no wait needed before using it.
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


def auth_config(tmp_path, idp: IdentityProvider, **extra: str) -> str:
    lines = [
        "[trip_server]",
        f'auth_oidc_discovery_url = "{idp.discovery_url}"',
        f'auth_client_ids = ["{CLIENT_A}", "{CLIENT_B}"]',
        f'auth_required_scopes = ["{SCOPE}"]',
        f'auth_resource_base_url = "{PUBLIC_BASE}"',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    config = tmp_path / "auth.toml"
    config.write_text("\n".join(lines) + "\n")
    return str(config)


@pytest.fixture(scope="module")
def secured(tmp_path_factory, idp):
    tmp_path = tmp_path_factory.mktemp("auth")
    server = start_server_process(tmp_path, "--config", auth_config(tmp_path, idp))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def post(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, json=INITIALIZE, headers={**HEADERS, **headers}, timeout=10)


def challenge(response: httpx.Response) -> str:
    return response.headers["www-authenticate"]


# --- who gets in ---------------------------------------------------------------------------------


def test_valid_token_opens_a_session(secured, idp):
    response = post(secured.url, idp.token())
    assert response.status_code == 200
    assert response.headers["mcp-session-id"]


def test_no_token_is_401_pointing_at_the_resource_metadata(secured):
    response = post(secured.url)
    assert response.status_code == 401
    assert challenge(response).startswith("Bearer ")
    assert f'resource_metadata="{PUBLIC_BASE}/.well-known/oauth-protected-resource/mcp"' in challenge(response)
    assert f'scope="{SCOPE}"' in challenge(response)
    assert "error=" not in challenge(response)  # RFC 6750 §3.1: no error code when no credentials


@pytest.mark.parametrize(
    "case",
    ["wrong issuer", "unknown client", "expired", "foreign key", "not a jwt"],
)
def test_rejected_token_is_401_invalid_token(secured, idp, case):
    token = {
        "wrong issuer": lambda: idp.token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "unknown client": lambda: idp.token(client_id="someone-else"),
        "expired": lambda: idp.token(expires_in=-60),
        "foreign key": lambda: idp.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "not a jwt": lambda: "not-a-jwt",
    }[case]()
    response = post(secured.url, token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in challenge(response)
    assert "resource_metadata=" in challenge(response)


def test_client_named_in_aud_is_allowed(secured, idp):
    # ID-token-style issuers name the client in `aud` instead of `client_id`.
    assert post(secured.url, idp.token(client_id=None, aud=CLIENT_B)).status_code == 200


def test_missing_scope_is_403_insufficient_scope(secured, idp):
    response = post(secured.url, idp.token(scope="openid"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in challenge(response)


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_protected_resource_metadata_is_served(secured, idp, path):
    base = secured.url.removesuffix("/mcp")
    document = httpx.get(base + path, timeout=10).json()
    assert document["resource"] == f"{PUBLIC_BASE}/mcp"
    assert document["authorization_servers"] == [idp.issuer + "/"] or document["authorization_servers"] == [idp.issuer]
    assert document["scopes_supported"] == [SCOPE]
    assert document["bearer_methods_supported"] == ["header"]


def test_a_session_cannot_be_borrowed_by_another_user(secured, idp):
    session = post(secured.url, idp.token(sub="user-a")).headers["mcp-session-id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    response = httpx.post(
        secured.url,
        json=ping,
        headers={**HEADERS, "Authorization": f"Bearer {idp.token(sub='user-b')}", "Mcp-Session-Id": session},
        timeout=10,
    )
    assert response.status_code in (403, 404)


# --- whose bookings ------------------------------------------------------------------------------


def authed(url: str, token: str, human: Human | None = None, mode: str = "auto") -> Client:
    return Client(url, auth=token, mode=mode, elicitation_handler=human, sampling_handler=llm)


@pytest.mark.parametrize("mode", MODES)
async def test_users_see_only_their_own_bookings(secured, idp, mode):
    alice, bob = idp.token(sub=f"alice-{mode}"), idp.token(sub=f"bob-{mode}", client_id=CLIENT_B)
    plan = {"destination": "Kyoto", "trip_type": "solo", "nights": 2}
    async with authed(secured.url, alice, Human([{"decision": "Book"}, {"decision": "Cancel"}]), mode) as c:
        booked = (await c.call_tool("plan_trip", plan)).structured_content
        quoted = (await c.call_tool("plan_trip", plan)).structured_content
    assert booked["status"] == "booked" and quoted["status"] == "quoted"
    reservation, quote = booked["reservation_id"], quoted["quote_id"]

    async with authed(secured.url, bob, Human([]), mode) as c:
        assert (await c.call_tool("list_bookings", {})).structured_content == {"bookings": []}
        with pytest.raises(ToolError, match=f"No booking '{reservation}'"):
            await c.call_tool("get_booking", {"reservation_id": reservation})
        with pytest.raises(ToolError, match=f"No booking '{reservation}'"):
            await c.call_tool("cancel_booking", {"reservation_id": reservation})
        with pytest.raises(ToolError, match=f"No quote '{quote}'"):
            await c.call_tool("book_quote", {"quote_id": quote})

    async with authed(secured.url, alice, Human([]), mode) as c:
        mine = (await c.call_tool("list_bookings", {})).structured_content["bookings"]
        assert [(b["reservation_id"], b["status"]) for b in mine] == [(reservation, "confirmed")]


async def test_full_plan_and_book_with_a_token(secured, idp):
    human = Human([{"destination": "Okinawa"}, {"trip_type": "friends"}, {"nights": 3}, {"travelers": 3}, {"decision": "Book"}])
    async with authed(secured.url, idp.token(sub="carol"), human) as c:
        result = (await c.call_tool("plan_trip", {})).structured_content
    assert result["status"] == "booked" and result["reservation_id"].startswith("TRV-")


def test_owner_is_the_subject_else_the_client():
    def token(**claims: object) -> AccessToken:
        return AccessToken(token="x", client_id="c", scopes=[], claims=claims)

    assert owner_of(token(sub="u-1", client_id="app")) == "sub:u-1"
    assert owner_of(token(client_id="machine")) == "client:machine"
    assert owner_of(token()) is None


# --- secrets stay secret -------------------------------------------------------------------------


def test_tokens_are_never_logged(tmp_path, idp):
    server = start_server_process(tmp_path, "--config", auth_config(tmp_path, idp))
    tokens = [idp.token(), idp.token(expires_in=-60), idp.token(client_id="someone-else"), idp.token(scope="openid")]
    try:
        for token in tokens:
            post(server.url, token)
    finally:
        server.process.terminate()
        _, stderr = server.process.communicate(timeout=10)
    assert "rejected" in stderr  # the log did speak about these tokens…
    for token in tokens:
        assert token not in stderr and token.split(".")[2] not in stderr  # …without the token itself


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"auth_client_ids": ["a"]}, "auth_client_ids need(s) auth_oidc_discovery_url or auth_jwks_url"),
        ({"auth_jwks_url": "https://idp.example/jwks.json"}, "auth_jwks_url needs auth_issuer"),
        (
            {"auth_jwks_url": "https://idp.example/jwks", "auth_oidc_discovery_url": "https://idp.example/d", "auth_issuer": "https://i"},
            "not both",
        ),
        ({"auth_oidc_discovery_url": "idp.example"}, "must be an http(s) URL"),
        ({"auth_issuer": 5, "auth_jwks_url": "https://idp.example/jwks"}, "auth_issuer must be a string"),
    ],
)
def test_bad_auth_settings_are_clear_errors(tmp_path, values, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(overrides=values)


def test_auth_is_off_by_default():
    assert not load_settings().auth_enabled


def test_settings_come_from_the_environment(tmp_path):
    env = {
        "TRIP_SERVER_DB": str(tmp_path / "env.db"),
        "TRIP_SERVER_AUTH_JWKS_URL": "https://idp.example/jwks.json",
        "TRIP_SERVER_AUTH_ISSUER": "https://idp.example",
        "TRIP_SERVER_AUTH_CLIENT_IDS": "one, two",
        "TRIP_SERVER_MAX_ATTEMPTS": "5",
    }
    settings = load_settings(env=env, overrides={"max_attempts": 4})
    assert settings.db == tmp_path / "env.db" and settings.auth_enabled
    assert settings.auth_client_ids == ("one", "two")
    assert settings.max_attempts == 4  # flags win over the environment


def test_unreachable_discovery_document_exits_with_the_reason(tmp_path, idp):
    config = tmp_path / "bad.toml"
    config.write_text(f'[trip_server]\nauth_oidc_discovery_url = "{idp.issuer}/missing/.well-known/openid-configuration"\n')
    run = subprocess.run(
        [sys.executable, "-m", "mcp_server.cli", "--port", "0", "--db", str(tmp_path / "x.db"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert "trip-server: cannot read the OIDC discovery document" in run.stderr
    assert "check auth_oidc_discovery_url" in run.stderr


# --- the container command line ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["mcp_server.cli", "--container"], ["mcp_server.agentcore"]],  # the Dockerfile's, the starter toolkit's
)
def test_container_mode_serves_mcp_with_agentcore_headers(tmp_path, idp, command):
    """As AgentCore runs it: container mode, configured by environment, session headers forwarded."""
    config = auth_config(tmp_path, idp)
    db = tmp_path / "from-env.db"
    process = subprocess.Popen(
        [sys.executable, "-m", *command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TRIP_SERVER_CONFIG": config, "TRIP_SERVER_DB": str(db)},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://0.0.0.0:") and line.strip().endswith("/mcp"), line
        url = f"http://127.0.0.1:{line.strip().rsplit(':', 1)[1]}"
        platform = {
            "Host": "bedrock-agentcore.us-east-1.amazonaws.com",
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "a" * 36,
        }
        opened = post(url, idp.token(), **platform)
        assert opened.status_code == 200
        session = opened.headers["mcp-session-id"]
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        follow_up = httpx.post(
            url,
            json=initialized,
            headers={**HEADERS, **platform, "Authorization": f"Bearer {idp.token()}", "Mcp-Session-Id": session},
            timeout=10,
        )
        assert follow_up.status_code == 202
        assert post(url, None, **platform).status_code == 401
        assert db.exists()  # TRIP_SERVER_DB chose the store
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_in_process_call_without_a_token_fails_closed(tmp_path):
    # No HTTP, so no token: with auth on, the tools must not fall back to a shared owner.
    settings = load_settings(
        overrides={"db": tmp_path / "t.db", "auth_jwks_url": "https://idp.example/jwks.json", "auth_issuer": "https://idp.example"}
    )
    mcp = build_server(settings)
    try:
        async with Client(mcp) as c:
            with pytest.raises(ToolError, match="requires a bearer token"):
                await c.call_tool("list_bookings", {})
    finally:
        await mcp.services.store.close()

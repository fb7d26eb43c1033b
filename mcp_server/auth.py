"""Optional bearer-token auth: JWTs of one issuer, from allowed clients, with the required scopes.

fastmcp does the HTTP side: 401 with `WWW-Authenticate: Bearer ... resource_metadata=...` for a
missing or rejected token, 403 `insufficient_scope` for a valid token without a required scope, and
the Protected Resource Metadata (RFC 9728) that the 2025-11-25 authorization spec asks for.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastmcp.server.auth import AccessToken, RemoteAuthProvider
from fastmcp.server.auth.providers.jwt import JWTVerifier
from pydantic import AnyHttpUrl
from starlette.routing import Route

from mcp_server.errors import ConfigError
from mcp_server.settings import ServerSettings, http_url

logger = logging.getLogger("trip_server")

PRM_PATH = "/.well-known/oauth-protected-resource"


class AllowedClientsVerifier(JWTVerifier):
    """A JWTVerifier that also requires the token to come from an allowed client.

    Cognito access tokens name their app client in `client_id` and carry no `aud`; ID-token-style
    issuers name it in `aud`. Either one in the allow-list admits the token.
    """

    def __init__(self, *, allowed_clients: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed_clients = frozenset(allowed_clients)

    async def load_access_token(self, token: str) -> AccessToken | None:
        access = await super().load_access_token(token)
        if access is None or not self.allowed_clients:
            return access
        audience = access.claims.get("aud") or []
        candidates = {access.claims.get("client_id"), *([audience] if isinstance(audience, str) else audience)}
        if candidates & self.allowed_clients:
            return access
        logger.warning("client_id=<%s> | bearer token rejected: client not allowed", access.claims.get("client_id"))
        return None


class TripAuth(RemoteAuthProvider):
    """Token verification plus Protected Resource Metadata at both well-known locations.

    fastmcp serves the path-suffixed document (/.well-known/oauth-protected-resource/mcp); MCP
    clients fall back to the root one when the challenge carries no resource_metadata, so serve both.
    """

    def get_routes(self, mcp_path: str | None = None) -> list[Route]:
        routes = super().get_routes(mcp_path)
        suffixed = [route for route in routes if isinstance(route, Route) and route.path.startswith(PRM_PATH + "/")]
        return routes + [Route(PRM_PATH, endpoint=route.endpoint, methods=route.methods) for route in suffixed[:1]]


def build_auth(settings: ServerSettings) -> TripAuth | None:
    """The auth provider for the settings, or None when auth is off (local use).

    Raises:
        ConfigError: the OIDC discovery document cannot be fetched, or names another issuer.
    """
    if not settings.auth_enabled:
        return None
    issuer, jwks_url = settings.auth_issuer, settings.auth_jwks_url
    if settings.auth_oidc_discovery_url:
        issuer, jwks_url = discover(settings.auth_oidc_discovery_url, settings.auth_issuer)
    if not settings.auth_client_ids:
        logger.warning("issuer=<%s> | auth_client_ids is empty: every client of this issuer is accepted", issuer)
    verifier = AllowedClientsVerifier(
        jwks_uri=jwks_url,
        issuer=issuer,
        algorithm="RS256",
        allowed_clients=settings.auth_client_ids,
        # Scopes are checked by fastmcp's middleware from the provider's required_scopes, which
        # answers 403 insufficient_scope; a verifier that checked them would answer 401.
        required_scopes=None,
    )
    provider = TripAuth(
        token_verifier=verifier,
        authorization_servers=[AnyHttpUrl(issuer)],
        base_url=settings.auth_resource_base_url or _local_base_url(settings),
        scopes_supported=list(settings.auth_required_scopes),
        challenge_scopes=list(settings.auth_required_scopes),
        resource_name="travel-planner",
    )
    provider.required_scopes = list(settings.auth_required_scopes)
    return provider


def discover(discovery_url: str, expected_issuer: str | None) -> tuple[str, str]:
    """The issuer and jwks_uri of an OpenID Connect discovery document.

    Raises:
        ConfigError: unreachable, not a discovery document, or another issuer than expected.
    """
    try:
        response = httpx.get(discovery_url, timeout=10.0, follow_redirects=True)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ConfigError(
            f"cannot read the OIDC discovery document at {discovery_url}: {error} (check auth_oidc_discovery_url)"
        ) from error
    issuer, jwks_url = document.get("issuer"), document.get("jwks_uri")
    if not (isinstance(issuer, str) and isinstance(jwks_url, str)):
        raise ConfigError(f"{discovery_url} has no issuer and jwks_uri; is it an OIDC discovery document?")
    if expected_issuer and expected_issuer != issuer:
        raise ConfigError(f"auth_issuer is {expected_issuer} but {discovery_url} names issuer {issuer}")
    return issuer, jwks_url


def owner_of(token: AccessToken) -> str | None:
    """Whose bookings a token may see: its user (`sub`), else its client (machine tokens).

    Prefixed so that a subject, a client id and the unauthenticated "local" user never collide.
    """
    subject = token.claims.get("sub")
    if subject:
        return f"sub:{subject}"
    client_id = token.claims.get("client_id")
    return f"client:{client_id}" if client_id else None


def _local_base_url(settings: ServerSettings) -> str:
    return http_url(settings.host, settings.port, "")

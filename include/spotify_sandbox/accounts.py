"""The sandbox's Accounts service: `/authorize` (consent page) and `/api/token`.

Mirrors Spotify's Authorization Code flow (client secret or PKCE S256), six-month refresh-token
expiry (no rotation since June 2026; rotation is an opt-in fault) and Spotify's error bodies.
Tokens are random and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import secrets
import urllib.parse
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, redirect, request

from spotify_sandbox.common import as_of, sandbox
from spotify_sandbox.state import ALL_SCOPES

if TYPE_CHECKING:
    from spotify_sandbox.state import Sandbox

accounts = Blueprint("accounts", __name__)
CONSENT_USERS = 20
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spotify sandbox — authorize</title>
<style>body{{font-family:sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
.banner{{background:#fff3cd;border:1px solid #e0c36c;padding:.6rem;border-radius:4px}}
button{{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}}</style></head>
<body><p class="banner"><strong>Spotify sandbox — a local stand-in, not Spotify.</strong>
No real account is involved; the users below are synthetic.</p>
{body}</body></html>"""


def _page(body: str, status: int = 200) -> Response:
    return Response(PAGE.format(body=body), status=status, mimetype="text/html")


def _error_page(message: str) -> Response:
    return _page(f"<h1>Error</h1><p id=\"error\">{html.escape(message)}</p>", 400)


def redirect_uri_problem(uri: str) -> str | None:
    """Return why Spotify would refuse this redirect URI, or None if it is acceptable."""
    if not uri:
        return "INVALID_CLIENT: Invalid redirect URI"
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1"):
        return None
    # Spotify refuses `localhost` (and any other plain-http host) since 2025.
    return "INVALID_CLIENT: Insecure redirect URI"


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urllib.parse.urlsplit(uri)
    query = urllib.parse.parse_qsl(parts.query) + [(k, v) for k, v in params.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _validate(sb: Sandbox, args: dict[str, str]) -> Response | None:
    """Check an authorize request; return the error answer, or None when it may proceed."""
    if args.get("client_id") != sb.client_id:
        return _error_page("INVALID_CLIENT: Invalid client")
    problem = redirect_uri_problem(args.get("redirect_uri", ""))
    if problem:
        return _error_page(problem)
    back = {"state": args["state"]} if "state" in args else {}
    if args.get("response_type") != "code":
        return redirect(_with_query(args["redirect_uri"],
                                    {"error": "unsupported_response_type", **back}))
    scopes = set(args.get("scope", "").replace(",", " ").split())
    if scopes - ALL_SCOPES:
        return redirect(_with_query(args["redirect_uri"], {"error": "invalid_scope", **back}))
    if args.get("code_challenge") and args.get("code_challenge_method") != "S256":
        return redirect(_with_query(args["redirect_uri"], {"error": "invalid_request", **back}))
    return None


@accounts.get("/authorize")
def authorize_page() -> Response:
    """Show the consent page: pick a sandbox user, then Agree or Cancel."""
    sb = sandbox()
    args = request.args.to_dict()
    refused = _validate(sb, args)
    if refused is not None:
        return refused
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in args.items() if k not in ("user_id", "decision"))
    users = sb.world.users[:CONSENT_USERS]
    if sb.mode == "development":
        # Listing allowlisted users first keeps the default choice one that can use the API.
        users = [sb.world.users[u] for u in sb.allowlist] + [
            u for u in users if u.index not in sb.allowlist]
    options = "".join(
        f'<option value="{html.escape(u.id)}">{html.escape(u.display_name or u.id)}'
        f"{' (allowlisted)' if sb.mode == 'development' and u.index in sb.allowlist else ''}"
        f"</option>" for u in users)
    scopes = "".join(f"<li>{html.escape(s)}</li>"
                     for s in args.get("scope", "").replace(",", " ").split())
    body = f"""<h1>Authorize access</h1>
<p>The app <code>{html.escape(args['client_id'])}</code> asks to access your sandbox account.</p>
<ul id="scopes">{scopes or '<li>(no scopes)</li>'}</ul>
<form method="post" action="/authorize">{hidden}
<label for="user_id">Log in as</label> <select name="user_id" id="user_id">{options}</select>
<p><button type="submit" name="decision" value="approve" id="approve">Agree</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button></p></form>
<p><small>Redirects to {html.escape(args['redirect_uri'])}</small></p>"""
    return _page(body)


@accounts.post("/authorize")
def authorize_decision() -> Response:
    """Redirect back with a code (approve) or `error=access_denied` (deny)."""
    sb = sandbox()
    args = request.form.to_dict()
    refused = _validate(sb, args)
    if refused is not None:
        return refused
    back = {"state": args["state"]} if "state" in args else {}
    if args.get("decision") != "approve":
        return redirect(_with_query(args["redirect_uri"], {"error": "access_denied", **back}))
    user = sb.world.user_index.get(args.get("user_id", ""))
    if user is None:
        return _error_page("Unknown sandbox user")
    code = sb.issue_code(sb.client_id, user, args["redirect_uri"],
                         " ".join(args.get("scope", "").replace(",", " ").split()),
                         args.get("code_challenge") or None)
    return redirect(_with_query(args["redirect_uri"], {"code": code, **back}))


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _client(sb: Sandbox) -> tuple[str | None, bool] | Response:
    """Authenticate the client: (client_id, confidential) or the error answer."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error("invalid_client", "Invalid client")
    elif "client_secret" in request.form:
        cid, secret = request.form.get("client_id", ""), request.form["client_secret"]
    else:
        cid = request.form.get("client_id")
        if cid is None:
            return _oauth_error("invalid_client", "Invalid client")
        if cid != sb.client_id:
            return _oauth_error("invalid_client", "Invalid client")
        return cid, False
    if cid != sb.client_id or not secrets.compare_digest(secret, sb.client_secret):
        return _oauth_error("invalid_client", "Invalid client")
    return cid, True


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@accounts.post("/api/token")
def token() -> Response:
    """Exchange a code, refresh a token, or issue a client-credentials token."""
    sb = sandbox()
    sb.counters.count_token()
    grant_type = request.form.get("grant_type")
    if not grant_type:
        return _oauth_error("unsupported_grant_type", "grant_type parameter is missing")
    client = _client(sb)
    if isinstance(client, Response):
        return client
    client_id, confidential = client
    today = as_of()
    if grant_type == "authorization_code":
        return _exchange_code(sb, client_id, confidential, today)
    if grant_type == "refresh_token":
        refresh = request.form.get("refresh_token", "")
        grant = sb.refresh_tokens.get(refresh)
        if grant is not None and not confidential and not grant.public_client:
            return _oauth_error("invalid_client", "Invalid client")
        result = sb.refresh(refresh, client_id, today)
        if isinstance(result, str):
            return _oauth_error("invalid_grant", result)
        access, new_refresh, grant = result
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                "expires_in": 3600, "scope": grant.scope}
        if new_refresh:
            body["refresh_token"] = new_refresh
        return jsonify(body)
    if grant_type == "client_credentials":
        if not confidential:
            return _oauth_error("invalid_client", "Invalid client")
        return jsonify({"access_token": sb.issue_access(None, client_id, ""),
                        "token_type": "Bearer", "expires_in": 3600})
    return _oauth_error("unsupported_grant_type",
                        "grant_type must be client_credentials, authorization_code or "
                        "refresh_token")


def _exchange_code(sb: Sandbox, client_id: str, confidential: bool, today: Any) -> Response:
    code = sb.take_code(request.form.get("code", ""))
    if code is None or code.client_id != client_id:
        return _oauth_error("invalid_grant", "Invalid authorization code")
    if request.form.get("redirect_uri") != code.redirect_uri:
        return _oauth_error("invalid_grant", "Invalid redirect URI")
    if code.code_challenge:
        verifier = request.form.get("code_verifier", "")
        if not secrets.compare_digest(_s256(verifier), code.code_challenge):
            return _oauth_error("invalid_grant", "code_verifier was incorrect")
    elif not confidential:
        return _oauth_error("invalid_client", "Invalid client")
    access, refresh = sb.issue_tokens(code.user, client_id, code.scope,
                                      public_client=not confidential, today=today)
    return jsonify({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                    "refresh_token": refresh, "scope": code.scope})

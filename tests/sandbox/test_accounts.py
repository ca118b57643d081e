"""The Accounts service: consent page, code exchange (Basic and PKCE), refresh, rotation, expiry."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import urllib.parse

import pytest
import requests
import spotipy
from sandbox_helpers import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, TODAY, client, refresh, seed_users

from spotify_sandbox import SandboxServer


def authorize_params(**extra: str) -> dict[str, str]:
    return {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
            "state": "xyz<&>", "scope": "user-top-read user-read-recently-played", **extra}


def consent(srv: SandboxServer, decision: str = "approve", user: int = 1, **extra: str
            ) -> dict[str, list[str]]:
    """Load the consent page, submit its form as a browser would; return the redirect query."""
    page = requests.get(f"{srv.accounts_url}/authorize", params=authorize_params(**extra),
                        timeout=10)
    assert page.status_code == 200
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form = {k: v.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            for k, v in form.items()}
    form.update(user_id=srv.world.users[user].id, decision=decision)
    answer = requests.post(f"{srv.accounts_url}/authorize", data=form, allow_redirects=False,
                           timeout=10)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)


def exchange(srv: SandboxServer, code: str, *, basic: bool = True, **form: str
             ) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            **form}
    return requests.post(f"{srv.accounts_url}/api/token", data=data, timeout=10,
                         auth=(CLIENT_ID, CLIENT_SECRET) if basic else None)


def test_consent_page_labels_itself_and_escapes_and_keeps_ids(ext):
    page = requests.get(f"{ext.accounts_url}/authorize", params=authorize_params(), timeout=10)
    assert "Spotify sandbox — a local stand-in, not Spotify" in page.text
    assert 'id="approve"' in page.text and 'id="deny"' in page.text
    assert '<select name="user_id"' in page.text
    assert "xyz&lt;&amp;&gt;" in page.text and "xyz<&>" not in page.text
    assert page.text.count("<option") == 20


@pytest.mark.parametrize("uri, ok", [
    ("http://localhost:8888/callback", False), ("http://127.0.0.1:8888/callback", True),
    ("http://[::1]:8888/callback", True), ("https://example.org/cb", True),
    ("http://example.org/cb", False)])
def test_redirect_uri_rules(ext, uri, ok):
    page = requests.get(f"{ext.accounts_url}/authorize",
                        params=authorize_params(redirect_uri=uri), timeout=10)
    if ok:
        assert page.status_code == 200
    else:
        assert page.status_code == 400
        assert "INVALID_CLIENT: Insecure redirect URI" in page.text


def test_unknown_client_is_refused(ext):
    page = requests.get(f"{ext.accounts_url}/authorize",
                        params=authorize_params(client_id="nope"), timeout=10)
    assert page.status_code == 400 and "INVALID_CLIENT: Invalid client" in page.text


def test_deny_redirects_with_access_denied_and_state(ext):
    query = consent(ext, decision="deny")
    assert query == {"error": ["access_denied"], "state": ["xyz<&>"]}


def test_basic_code_exchange_gives_tokens_for_the_chosen_user_and_code_is_single_use(ext):
    query = consent(ext, user=4)
    assert query["state"] == ["xyz<&>"]
    answer = exchange(ext, query["code"][0])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "user-top-read user-read-recently-played"
    assert client(ext, body["access_token"]).me()["id"] == ext.world.users[4].id
    again = exchange(ext, query["code"][0])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch_is_invalid_grant(ext):
    code = consent(ext)["code"][0]
    answer = exchange(ext, code, redirect_uri="http://127.0.0.1:9999/other")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}


def test_wrong_client_secret_is_invalid_client(ext):
    code = consent(ext)["code"][0]
    answer = requests.post(f"{ext.accounts_url}/api/token", auth=(CLIENT_ID, "wrong"),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT_URI}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client", "error_description": "Invalid client"}


def test_pkce_exchange_checks_the_verifier_and_refreshes_with_client_id_only(ext):
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()
                                         ).rstrip(b"=").decode()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    bad = exchange(ext, consent(ext, **pkce)["code"][0], basic=False, client_id=CLIENT_ID,
                   code_verifier="w" * 64)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    good = exchange(ext, consent(ext, **pkce)["code"][0], basic=False, client_id=CLIENT_ID,
                    code_verifier=verifier)
    assert good.status_code == 200
    again = requests.post(f"{ext.accounts_url}/api/token", timeout=10,
                          data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                "refresh_token": good.json()["refresh_token"]})
    assert again.status_code == 200 and again.json()["access_token"]


def test_code_without_pkce_cannot_be_exchanged_without_the_secret(ext):
    answer = exchange(ext, consent(ext)["code"][0], basic=False, client_id=CLIENT_ID)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


def test_refresh_tokens_are_not_rotated_as_spotify_stopped_in_june_2026(ext):
    token = seed_users(ext, 1)[0]["refresh_token"]
    answers = [refresh(ext, token) for _ in range(7)]
    assert all(a.status_code == 200 and "refresh_token" not in a.json() for a in answers)


def test_rotation_is_an_opt_in_fault_after_which_the_old_token_dies(fresh):
    armed = requests.post(f"{fresh.url}/__sandbox/faults",
                          json={"rotate_refresh_tokens": {"every": 3}}, timeout=10).json()
    assert armed["rotate_refresh_tokens"] == {"every": 3}
    token = seed_users(fresh, 1)[0]["refresh_token"]
    answers = [refresh(fresh, token).json() for _ in range(2)]
    assert all("refresh_token" not in a for a in answers)
    third = refresh(fresh, token).json()
    assert third["refresh_token"] != token
    old = refresh(fresh, token)
    assert old.status_code == 400
    assert old.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert refresh(fresh, third["refresh_token"]).status_code == 200
    requests.delete(f"{fresh.url}/__sandbox/faults", timeout=10)
    assert all("refresh_token" not in refresh(fresh, third["refresh_token"]).json()
               for _ in range(3))


def test_unknown_refresh_token_is_invalid_grant(ext):
    answer = refresh(ext, "not-a-token")
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_refresh_token_expires_six_months_after_consent_on_the_sandbox_clock(ext):
    token = seed_users(ext, 1)[0]["refresh_token"]  # consent on TODAY
    almost = (TODAY + dt.timedelta(days=180)).isoformat()
    assert refresh(ext, token, **{"X-Sandbox-Date": almost}).status_code == 200
    later = (TODAY + dt.timedelta(days=182)).isoformat()  # 2027-05-21 > 2027-05-20
    answer = refresh(ext, token, **{"X-Sandbox-Date": later})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_revoked_and_expired_users_get_invalid_grant(fresh):
    tokens = seed_users(fresh, 2)
    requests.post(f"{fresh.url}/__sandbox/users/{tokens[0]['id']}/revoke", timeout=10)
    requests.post(f"{fresh.url}/__sandbox/users/{tokens[1]['id']}/expire", timeout=10)
    assert refresh(fresh, tokens[0]["refresh_token"]).json() == {
        "error": "invalid_grant", "error_description": "Refresh token revoked"}
    assert refresh(fresh, tokens[1]["refresh_token"]).json() == {
        "error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_spotipy_oauth_refreshes_against_the_sandbox(ext):
    token = seed_users(ext, 1)[0]["refresh_token"]
    cache = spotipy.MemoryCacheHandler(token_info={
        "refresh_token": token, "access_token": "stale", "expires_at": 0,
        "scope": "user-top-read", "token_type": "Bearer", "expires_in": 3600})
    auth = spotipy.SpotifyOAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                redirect_uri=REDIRECT_URI, scope="user-top-read",
                                cache_handler=cache, open_browser=False)
    auth.OAUTH_TOKEN_URL = f"{ext.accounts_url}/api/token"
    auth.OAUTH_AUTHORIZE_URL = f"{ext.accounts_url}/authorize"
    sp = spotipy.Spotify(auth_manager=auth, retries=0, status_retries=0)
    sp.prefix = ext.api_url
    assert sp.current_user_top_tracks(limit=1)["items"]
    assert cache.get_cached_token()["access_token"] != "stale"
    assert auth.get_authorize_url().startswith(f"{ext.accounts_url}/authorize?")

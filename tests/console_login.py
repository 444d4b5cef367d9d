"""Logging in to the running stack's console over plain HTTP, as a browser does: the login form's
CSRF token (bound to its pre-session cookie), then the POST with the console's Origin."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from tests.stack import CONSOLE_URL


def log_in_over_http(email: str, password: str) -> tuple[urllib.request.OpenerDirector, str]:
    """The opener (with the session cookie) and the session's CSRF token."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(f"{CONSOLE_URL}/connexion", timeout=10).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token, "no login form"
    data = urllib.parse.urlencode({"courriel": email, "mot_de_passe": password, "csrf": token[1]}).encode()
    opener.open(urllib.request.Request(f"{CONSOLE_URL}/connexion", data=data, headers={"Origin": CONSOLE_URL}))
    page = opener.open(f"{CONSOLE_URL}/compte", timeout=10).read().decode()
    match = re.search(r'<meta name="csrf" content="([^"]+)"', page)
    assert match, "not logged in"
    return opener, match[1]


def post_headers(csrf: str) -> dict[str, str]:
    """What a console POST from a page of the console carries."""
    return {"X-CSRF-Token": csrf, "Origin": CONSOLE_URL, "Accept": "application/json"}

"""Signing in and out, the session and CSRF checks of every request, the account's own password.

scrypt passwords and login throttling live in bot/handoff/clinicians.py; here: the session cookie (HttpOnly,
SameSite=Strict, Secure behind TLS), the login form's pre-session that binds its CSRF token, every
POST's CSRF token and Origin (or Referer) of the console itself, and the client address that
failed logins are counted by. Login attempts and password changes go to the security trail.
"""

from __future__ import annotations

import asyncio
import hmac
import urllib.parse
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.handoff.clinicians import AsyncSessions
from console import pages
from console.shared import ACCOUNTS, AUDIT, LIVE, SETTINGS, html_page, off_duty, session_of

COOKIE = "coopsante_console"
PRE_COOKIE = "coopsante_console_pre"  # binds the login form's CSRF token, before any session
PUBLIC = {"/sante", "/connexion"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _origin(request: web.Request) -> str:
    # Behind a TLS terminator the console sees http: the proxy says what the browser used.
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    return f"{scheme}://{request.host}"


def _same_origin(request: web.Request) -> bool:
    """A POST must say it comes from the console: its Origin, or without one a Referer of the console."""
    expected = _origin(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == expected
    referer = request.headers.get("Referer", "")
    return referer == expected or referer.startswith(expected + "/")


def _same(sent: str, expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the login needs a session; every POST its CSRF token and the console's Origin."""
    if request.method == "POST" and not _same_origin(request):
        return web.Response(status=403, text="Origine refusée.")
    if request.path in PUBLIC or request.path.startswith("/static/"):
        if request.method == "POST" and request.path == "/connexion":
            sent = str((await request.post()).get("csrf", ""))
            matches = request.app[ACCOUNTS].pre_session_matches
            if not await asyncio.to_thread(matches, request.cookies.get(PRE_COOKIE, ""), sent):
                return web.Response(status=403, text="Jeton de sécurité invalide: rechargez la page.")
        return await handler(request)
    session = await AsyncSessions(request.app[LIVE]).session(request.cookies.get(COOKIE, ""))
    if session is None:
        if request.method == "GET" and not request.path.startswith("/flux/"):
            raise web.HTTPSeeOther("/connexion")
        return web.Response(status=401, text="Session expirée: reconnectez-vous.")
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token") or str((await request.post()).get("csrf", ""))
        if not _same(sent, session.csrf):
            return web.Response(status=403, text="Jeton de sécurité invalide: rechargez la page.")
    request["session"] = session
    return await handler(request)


def source_address(request: web.Request) -> str:
    """The client's address (behind a trusted proxy: the last one it added to X-Forwarded-For)."""
    if request.app[SETTINGS].get("trust_forwarded"):
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return (request.remote or "")[:64]


async def _login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """The login page with a fresh CSRF token, bound to a pre-session cookie."""
    token, csrf = await asyncio.to_thread(request.app[ACCOUNTS].pre_session)
    response = html_page(pages.login(error, csrf), status=status)
    response.set_cookie(
        PRE_COOKIE, token, httponly=True, samesite="Strict", secure=request.app[SETTINGS]["secure"], path="/connexion"
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    return await _login_form(request, request.query.get("erreur", ""))


async def login(request: web.Request) -> web.Response:
    accounts, audit = request.app[ACCOUNTS], request.app[AUDIT]
    form = await request.post()
    email = str(form.get("courriel", "")).strip().lower()[:200]
    source = source_address(request)
    if await asyncio.to_thread(accounts.throttle.blocked, source):
        await asyncio.to_thread(audit.record, "console.connexion", "bloquee", email, source)
        return await _login_form(request, "Trop d'essais depuis cet appareil. Réessayez dans 15 minutes.", status=429)
    delay = await asyncio.to_thread(accounts.throttle.delay, email, source)
    await asyncio.sleep(delay)  # slower and slower, never locked out
    status, session = await asyncio.to_thread(accounts.log_in, email, str(form.get("mot_de_passe", "")), source)
    await asyncio.to_thread(audit.record, "console.connexion", "reussie" if session else "echec", email, source)
    if session is None:
        return await _login_form(request, "Courriel ou mot de passe incorrect.", status=401)
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS]["secure"],
        max_age=8 * 3600,
        path="/",
    )
    response.del_cookie(PRE_COOKIE, path="/connexion")
    raise response


async def logout(request: web.Request) -> web.Response:
    session = session_of(request)
    await asyncio.to_thread(request.app[ACCOUNTS].log_out, session.token)
    await off_duty(request, session.clinician)
    response = web.HTTPSeeOther("/connexion")
    response.del_cookie(COOKIE, path="/")
    raise response


async def account_page(request: web.Request) -> web.Response:
    return html_page(pages.account(session_of(request), request.query.get("info", "")))


async def change_password(request: web.Request) -> web.Response:
    """The account's own new password: every other session of the account ends."""
    session = session_of(request)
    form = await request.post()
    new = str(form.get("nouveau", ""))
    if new != str(form.get("confirmation", "")):
        raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote("Les deux mots de passe diffèrent."))
    try:
        changed = await asyncio.to_thread(
            request.app[ACCOUNTS].change_password, session, str(form.get("actuel", "")), new
        )
    except ValueError as error:  # AccountError: too short
        raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote(str(error))) from error
    outcome = "change" if changed else "refuse"
    await asyncio.to_thread(request.app[AUDIT].record, "console.mot_de_passe", outcome, session.clinician.email)
    info = "Mot de passe changé; vos autres sessions sont fermées." if changed else "Mot de passe actuel incorrect."
    raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote(info))

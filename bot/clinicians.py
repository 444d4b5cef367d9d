"""Clinician accounts for the handoff console: roles, scrypt-hashed passwords, sessions, lockout.

Accounts are created with a command (`python -m tools.console_user`), never from the web. A
password is stored as scrypt (a standard slow hash) with its own salt. After 5 failed logins in
15 minutes an account is locked for the rest of the window. A session is a random token held in an
HttpOnly cookie, with its own CSRF token, that expires after 8 hours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from bot.attempts import AttemptLimiter

ROLES = {"infirmiere": "Infirmière", "medecin": "Médecin", "admin": "Administration"}
ACCOUNT_KEY = "coopsante:clinicien:"
SESSION_KEY = "coopsante:console:session:"
SESSION_SECONDS = 8 * 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD = 12


class AccountError(ValueError):
    """An account cannot be created as asked."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **SCRYPT)
    return hmac.compare_digest(computed, base64.b64decode(digest))


@dataclass(frozen=True)
class Clinician:
    email: str
    name: str
    role: str

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    clinician: Clinician


@dataclass(frozen=True)
class ClinicianAccounts:
    redis: Any

    def create(self, email: str, name: str, role: str, password: str) -> Clinician:
        email = email.strip().lower()
        if role not in ROLES:
            raise AccountError(f"rôle inconnu: {role} (choix: {', '.join(ROLES)})")
        if "@" not in email or not name.strip():
            raise AccountError("courriel et nom requis")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        record = {"courriel": email, "nom": name.strip(), "role": role, "mot_de_passe": hash_password(password)}
        if not self.redis.hsetnx(ACCOUNT_KEY + email, "courriel", email):
            raise AccountError(f"le compte {email} existe déjà")
        self.redis.hset(ACCOUNT_KEY + email, mapping=record)
        return Clinician(email, record["nom"], role)

    def set_password(self, email: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        if not self.redis.exists(ACCOUNT_KEY + email.lower()):
            raise AccountError(f"aucun compte {email}")
        self.redis.hset(ACCOUNT_KEY + email.lower(), "mot_de_passe", hash_password(password))

    def exists(self, email: str) -> bool:
        return bool(self.redis.exists(ACCOUNT_KEY + email.strip().lower()))

    def get(self, email: str) -> Clinician | None:
        raw = self.redis.hgetall(ACCOUNT_KEY + email.strip().lower())
        return Clinician(raw["courriel"], raw["nom"], raw["role"]) if raw.get("role") else None

    def log_in(self, email: str, password: str) -> tuple[str, Session | None]:
        """("ok", session), ("locked", None) or ("refused", None): a wrong email and a wrong password read the same."""
        email = email.strip().lower()[:200]
        limiter = AttemptLimiter(self.redis)
        subject = "console:" + email
        if limiter.locked(subject):
            return "locked", None
        raw = self.redis.hgetall(ACCOUNT_KEY + email)
        if not raw or not password_matches(password, raw.get("mot_de_passe", "")):
            limiter.fail(subject)
            return ("locked" if limiter.locked(subject) else "refused"), None
        limiter.clear(subject)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.redis.hset(SESSION_KEY + token, mapping={"courriel": email, "csrf": csrf, "debut": str(int(time.time()))})
        self.redis.expire(SESSION_KEY + token, SESSION_SECONDS)
        return "ok", Session(token, csrf, Clinician(raw["courriel"], raw["nom"], raw["role"]))

    def session(self, token: str) -> Session | None:
        if not token or len(token) > 100:
            return None
        raw = self.redis.hgetall(SESSION_KEY + token)
        clinician = self.get(raw["courriel"]) if raw else None
        return Session(token, raw["csrf"], clinician) if clinician else None

    def log_out(self, token: str) -> None:
        self.redis.delete(SESSION_KEY + token)

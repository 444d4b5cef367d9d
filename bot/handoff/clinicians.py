"""Console accounts: roles and coops, scrypt-hashed passwords, sessions, login throttling.

Accounts are created with a command (`python -m ops.console_user`), never from the web. Each
account belongs to one or more coops (ids of `content/coops.yml`): a clinician (nurse, nurse
practitioner, doctor) sees only the tickets, schedules and bookings of their coops; a coop admin
(`admin`) reads its coops' audit trail and no clinical content; a coop manager (`gestionnaire`)
reads its coops' service dashboard (aggregates, no member, no ticket); a federation admin
(`federation`) reads every coop's audit trail. An account stored without coops belongs to none and sees nothing.

A password is stored as scrypt at OWASP's current parameters (N=2**17, r=8, p=1) with its own
salt; a hash made with older parameters is replaced at the next good login. An unknown e-mail costs
the same scrypt as a known one. Failed logins are counted per account and per source address:
after a few, every answer waits longer (up to a cap) instead of locking the account, so that a
stranger cannot lock a clinician out; a source address that keeps failing is refused outright.
A session is a random token held in an HttpOnly cookie, with its own CSRF token, that expires
after 8 hours; changing a password ends the account's other sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.platform.pseudonym import pseudonym

ROLES = {
    "infirmiere": "Infirmière",
    "ips": "Infirmière praticienne",
    "medecin": "Médecin",
    "admin": "Administration de la coop",
    "gestionnaire": "Gestion de la coop",
    "federation": "Administration de la fédération",
}
CLINICAL_ROLES = ("infirmiere", "ips", "medecin")  # the same names as a schedule block's clinician type
ACCOUNT_KEY = "coopsante:clinicien:"
SESSION_KEY = "coopsante:console:session:"
SESSIONS_OF = "coopsante:console:sessions:"  # account -> its session tokens
CSRF_KEY = "coopsante:console:cle_csrf"  # signs the login form's CSRF token (bound to a pre-session cookie)
FAILURES_KEY = "coopsante:console:echecs:"
SESSION_SECONDS = 8 * 3600
PRE_SESSION_SECONDS = 3600
MIN_PASSWORD = 12
COOP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1. It needs 128*N*r bytes = 128 MiB,
# above hashlib's 32 MiB default, hence maxmem; at most two hashes at once bound the memory used.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # "scrypt$salt$digest", the first format
SCRYPT_MAXMEM = 256 * 1024 * 1024
_HASHING = threading.BoundedSemaphore(2)

# Throttling: failures within the window, per account and per source address.
FAILURE_WINDOW_SECONDS = 15 * 60
FREE_FAILURES = 3  # the next failures each wait twice as long: 1 s, 2 s, 4 s...
MAX_DELAY_SECONDS = 16.0
SOURCE_HARD_CAP = 50  # failures from one source address in the window: refused outright


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with _HASHING:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """scrypt$<log2 N>$<r>$<p>$<salt>$<digest> (base64)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, **SCRYPT)
    log_n = SCRYPT["n"].bit_length() - 1
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${log_n}${SCRYPT['r']}${SCRYPT['p']}${encoded[0]}${encoded[1]}"


def _parameters(stored: str) -> tuple[dict[str, int], bytes, bytes] | None:
    parts = stored.split("$")
    try:
        if len(parts) == 3 and parts[0] == "scrypt":
            return dict(LEGACY_SCRYPT), base64.b64decode(parts[1]), base64.b64decode(parts[2])
        if len(parts) == 6 and parts[0] == "scrypt":
            log_n, r, p = (int(x) for x in parts[1:4])
            if not (10 <= log_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
                return None
            return {"n": 2**log_n, "r": r, "p": p}, base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError:
        return None
    return None


def password_matches(password: str, stored: str) -> bool:
    parsed = _parameters(stored)
    if parsed is None:
        return False
    parameters, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, **parameters), digest)


def needs_rehash(stored: str) -> bool:
    parsed = _parameters(stored)
    return parsed is None or parsed[0] != SCRYPT


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash at the current parameters, so that an unknown e-mail costs the same as a known one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def parse_coops(value: str | Iterable[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    coops = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if not COOP_ID.match(item):
            raise AccountError(f"identifiant de coop invalide: {item!r}")
        if item not in coops:
            coops.append(item)
    return tuple(coops)


@dataclass(frozen=True)
class Clinician:
    email: str
    name: str
    role: str
    coops: tuple[str, ...] = ()

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_clinical(self) -> bool:
        """Sees the clinical content (tickets, transcripts, bookings) of their coops."""
        return self.role in CLINICAL_ROLES

    @property
    def is_admin(self) -> bool:
        """A coop admin: their coops' audit trail, no clinical content."""
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        """A coop manager: their coops' service figures (aggregates only), no clinical content."""
        return self.role == "gestionnaire"

    @property
    def is_federation(self) -> bool:
        """A federation admin: accounts, and the audit trail of every coop."""
        return self.role == "federation"

    @property
    def reads_audit(self) -> bool:
        return self.is_admin or self.is_federation

    def member_of(self, coop: str) -> bool:
        return bool(coop) and coop in self.coops


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    clinician: Clinician


def _token_shape(token: str) -> bool:
    return bool(token) and len(token) <= 100


@dataclass(frozen=True)
class AsyncSessions:
    """`ClinicianAccounts.session` over a `redis.asyncio` client: the check of every console request
    and of every tick of its live views, on the console's event loop."""

    redis: Any

    async def session(self, token: str) -> Session | None:
        if not _token_shape(token):
            return None
        raw = await self.redis.hgetall(SESSION_KEY + token)
        account = await self.redis.hgetall(ACCOUNT_KEY + raw["courriel"].strip().lower()) if raw else None
        clinician = _clinician(account) if account else None
        return Session(token, raw["csrf"], clinician) if clinician else None


def _clinician(raw: dict[str, str]) -> Clinician | None:
    if not raw.get("role"):
        return None
    return Clinician(raw["courriel"], raw["nom"], raw["role"], parse_coops(raw.get("coops", "")))


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins per account and per source address, in Redis, over a sliding-free fixed window."""

    redis: Any

    def _keys(self, email: str, source: str) -> tuple[str, str]:
        # hashed: whatever was typed as an e-mail, and the address, are not kept in clear
        return FAILURES_KEY + "compte:" + pseudonym(email), FAILURES_KEY + "source:" + pseudonym(source)

    def failures(self, email: str, source: str) -> tuple[int, int]:
        account, address = self.redis.mget(self._keys(email, source))
        return int(account or 0), int(address or 0)

    def blocked(self, source: str) -> bool:
        """The source address failed too often: refused without checking anything."""
        return int(self.redis.get(self._keys("", source)[1]) or 0) >= SOURCE_HARD_CAP

    def delay(self, email: str, source: str) -> float:
        """How long to wait before answering this attempt: 0, then 1 s, 2 s, 4 s... up to the cap."""
        worst = max(self.failures(email, source))
        if worst < FREE_FAILURES:
            return 0.0
        return float(min(MAX_DELAY_SECONDS, 2 ** (worst - FREE_FAILURES)))

    def fail(self, email: str, source: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key in self._keys(email, source):
            pipe.incr(key)
            pipe.expire(key, FAILURE_WINDOW_SECONDS)
        pipe.execute()

    def succeed(self, email: str) -> None:
        """The owner got in: their account's count starts over (the source's does not)."""
        self.redis.delete(self._keys(email, "")[0])


@dataclass(frozen=True)
class ClinicianAccounts:
    redis: Any
    throttle: LoginThrottle = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "throttle", LoginThrottle(self.redis))

    def create(self, email: str, name: str, role: str, password: str, coops: Iterable[str] | str = ()) -> Clinician:
        email = email.strip().lower()
        if role not in ROLES:
            raise AccountError(f"rôle inconnu: {role} (choix: {', '.join(ROLES)})")
        if "@" not in email or not name.strip():
            raise AccountError("courriel et nom requis")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        members_of = parse_coops(coops)
        record = {
            "courriel": email,
            "nom": name.strip(),
            "role": role,
            "coops": ",".join(members_of),
            "mot_de_passe": hash_password(password),
        }
        if not self.redis.hsetnx(ACCOUNT_KEY + email, "courriel", email):
            raise AccountError(f"le compte {email} existe déjà")
        self.redis.hset(ACCOUNT_KEY + email, mapping=record)
        return Clinician(email, record["nom"], role, members_of)

    def set_coops(self, email: str, coops: Iterable[str] | str) -> Clinician:
        """Which coops an account belongs to (replacing the former list); its sessions see it at once."""
        email = email.strip().lower()
        if not self.redis.exists(ACCOUNT_KEY + email):
            raise AccountError(f"aucun compte {email}")
        self.redis.hset(ACCOUNT_KEY + email, "coops", ",".join(parse_coops(coops)))
        clinician = self.get(email)
        assert clinician is not None
        return clinician

    def set_password(self, email: str, password: str, keep_session: str = "") -> None:
        """A new password; every session of the account ends but `keep_session` (the one that asked)."""
        email = email.strip().lower()
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        if not self.redis.exists(ACCOUNT_KEY + email):
            raise AccountError(f"aucun compte {email}")
        self.redis.hset(ACCOUNT_KEY + email, "mot_de_passe", hash_password(password))
        self.end_sessions(email, keep=keep_session)

    def change_password(self, session: Session, current: str, new: str) -> bool:
        """The account's own change, from a session: False when the current password is wrong."""
        raw = self.redis.hgetall(ACCOUNT_KEY + session.clinician.email)
        if not raw or not password_matches(current, raw.get("mot_de_passe", "")):
            return False
        self.set_password(session.clinician.email, new, keep_session=session.token)
        return True

    def end_sessions(self, email: str, keep: str = "") -> int:
        tokens = [t for t in self.redis.smembers(SESSIONS_OF + email) if t != keep]
        if tokens:
            pipe = self.redis.pipeline(transaction=True)
            pipe.delete(*(SESSION_KEY + t for t in tokens))
            pipe.srem(SESSIONS_OF + email, *tokens)
            pipe.execute()
        return len(tokens)

    def exists(self, email: str) -> bool:
        return bool(self.redis.exists(ACCOUNT_KEY + email.strip().lower()))

    def get(self, email: str) -> Clinician | None:
        return _clinician(self.redis.hgetall(ACCOUNT_KEY + email.strip().lower()))

    def all(self) -> list[Clinician]:
        found = (_clinician(self.redis.hgetall(k)) for k in self.redis.scan_iter(ACCOUNT_KEY + "*", count=200))
        return sorted((c for c in found if c), key=lambda c: c.email)

    def log_in(self, email: str, password: str, source: str = "") -> tuple[str, Session | None]:
        """("ok", session) or ("refused", None): a wrong e-mail and a wrong password read the same and
        cost the same scrypt. Call `throttle.blocked` and wait `throttle.delay` first (the console does)."""
        email = email.strip().lower()[:200]
        raw = self.redis.hgetall(ACCOUNT_KEY + email)
        stored = raw.get("mot_de_passe", "") if raw else ""
        matched = password_matches(password, stored if _parameters(stored) else _dummy_hash())
        clinician = _clinician(raw) if raw else None
        if not matched or clinician is None or not stored:
            self.throttle.fail(email, source)
            return "refused", None
        self.throttle.succeed(email)
        if needs_rehash(stored):
            self.redis.hset(ACCOUNT_KEY + email, "mot_de_passe", hash_password(password))
        return "ok", self.open_session(clinician)

    def open_session(self, clinician: Clinician) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            SESSION_KEY + token, mapping={"courriel": clinician.email, "csrf": csrf, "debut": str(int(time.time()))}
        )
        pipe.expire(SESSION_KEY + token, SESSION_SECONDS)
        pipe.sadd(SESSIONS_OF + clinician.email, token)
        pipe.expire(SESSIONS_OF + clinician.email, SESSION_SECONDS)
        pipe.execute()
        stale = [
            t for t in self.redis.smembers(SESSIONS_OF + clinician.email) if not self.redis.exists(SESSION_KEY + t)
        ]
        if stale:
            self.redis.srem(SESSIONS_OF + clinician.email, *stale)
        return Session(token, csrf, clinician)

    def session(self, token: str) -> Session | None:
        if not _token_shape(token):
            return None
        raw = self.redis.hgetall(SESSION_KEY + token)
        clinician = self.get(raw["courriel"]) if raw else None
        return Session(token, raw["csrf"], clinician) if clinician else None

    def log_out(self, token: str) -> None:
        raw = self.redis.hgetall(SESSION_KEY + token)
        self.redis.delete(SESSION_KEY + token)
        if raw:
            self.redis.srem(SESSIONS_OF + raw["courriel"], token)

    # The login form's CSRF token, bound to a pre-session cookie (there is no session yet). Nothing is
    # stored per visitor: the token is an HMAC of the cookie under a key kept once in Redis.
    def _csrf_key(self) -> bytes:
        self.redis.set(CSRF_KEY, secrets.token_urlsafe(32), nx=True)
        return str(self.redis.get(CSRF_KEY)).encode()

    def _pre_csrf(self, token: str) -> str:
        return hmac.new(self._csrf_key(), token.encode(), hashlib.sha256).hexdigest()

    def pre_session(self) -> tuple[str, str]:
        """(the pre-session cookie, the login form's CSRF token)."""
        token = f"{int(time.time())}.{secrets.token_urlsafe(24)}"
        return token, self._pre_csrf(token)

    def pre_session_matches(self, token: str, sent: str) -> bool:
        issued, _, rest = token.partition(".")
        if not (issued.isdigit() and rest and len(token) <= 100 and sent):
            return False
        if not 0 <= time.time() - int(issued) <= PRE_SESSION_SECONDS:
            return False
        return hmac.compare_digest(self._pre_csrf(token).encode(), sent.encode())

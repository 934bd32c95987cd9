"""Who may do what: roles, the actions each role may take, sign-in configuration and password hashes.

Sign-in is off unless configured. With an identity provider (`[auth]` in Streamlit's secrets.toml) a signed-in
user's role comes from a mapping of e-mails and groups to roles; without one, each role may have a password,
stored only as a salted scrypt hash. When sign-in is off, everyone is an admin (the app then listens on
localhost only, unless a deployment changes server.address).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Role(enum.IntEnum):
    """A user's role; a higher role may do everything a lower one may."""

    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The role's name as users see it and as configuration spells it: viewer, analyst, admin."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: object) -> Role:
        """The role named text (case-insensitive); ValueError for anything else."""
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: use viewer, analyst or admin") from None


class Action(enum.Enum):
    """Something a user may want to do; its value says it in words for a refusal message."""

    VIEW = "see, filter, present and export"
    UPLOAD = "upload files"
    PUBLISH = "publish, activate or rename datasets"
    EDIT = "change saved settings, catalogues, stage rules, scenarios and notes"
    DELETE = "delete datasets and versions"
    UPGRADE = "rebuild the prepared tables of out-of-date versions"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.UPLOAD: Role.ANALYST,
    Action.PUBLISH: Role.ANALYST,
    Action.EDIT: Role.ANALYST,
    Action.DELETE: Role.ADMIN,
    Action.UPGRADE: Role.ADMIN,
}
"""The lowest role that may take each action."""


def permits(role: Role | None, action: Action) -> bool:
    """Whether role may take action (no role, i.e. not signed in, may take none)."""
    return role is not None and role >= MINIMUM_ROLE[action]


def refusal(role: Role | None, action: Action) -> str:
    """One line telling a user why action is refused and who may take it."""
    if MINIMUM_ROLE[action] is Role.VIEWER:
        return f"Sign in to {action.value}."
    allowed = " or ".join(r.label for r in Role if r >= MINIMUM_ROLE[action])
    who = f"you are signed in as {role.label}" if role else "you are not signed in"
    return f"Only an {allowed} may {action.value}; {who}."


# -- passwords -----------------------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""scrypt cost parameters for new hashes (about 16 MB and some tens of ms per check)."""
MAX_SCRYPT_N = 2**20
"""Largest cost accepted from a configured hash, so a typo cannot make every sign-in exhaust memory."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash of password as `scrypt$N$r$p$salt$hash` (salt and hash in URL-safe base64)."""
    if not password:
        raise ValueError("the password is empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def check_hash(stored: str) -> str:
    """stored when it is a hash that hash_password could have made; ValueError naming what is wrong otherwise."""
    parts = str(stored).strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError(
            "a password must be configured as its hash (scrypt$N$r$p$salt$hash): run python -m dashboard hash-password"
        )
    try:
        n, r, p = (int(x) for x in parts[1:4])
        _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise ValueError("the password hash is damaged: run python -m dashboard hash-password again") from None
    if not (2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError("the password hash has cost parameters out of range: run python -m dashboard hash-password again")
    return str(stored).strip()


def verify_password(password: str, stored: str) -> bool:
    """Whether password matches the configured hash stored (compared in constant time)."""
    _, n, r, p, salt, expected = check_hash(stored).split("$")
    digest = hashlib.scrypt(
        str(password).encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), maxmem=2 * 128 * int(r) * int(n) + 2**20
    )
    return hmac.compare_digest(digest, _unb64(expected))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


# -- configuration -------------------------------------------------------------------------------

PASSWORD_ENV = "CXLENS_PASSWORD_{role}"
"""Environment variable holding a role's password hash, e.g. CXLENS_PASSWORD_ANALYST."""
SECRETS_SECTION = "cxlens"
"""secrets.toml section of CX Lens's own settings: [cxlens.passwords], [cxlens.roles], default_role."""


class Mode(enum.Enum):
    """How users sign in."""

    OFF = "off"
    PASSWORD = "password"
    IDENTITY_PROVIDER = "identity provider"


@dataclass(frozen=True)
class AccessConfig:
    """Sign-in settings: the mode, each role's password hash, and the identity provider's e-mail/group → role map."""

    mode: Mode = Mode.OFF
    passwords: Mapping[Role, str] = field(default_factory=dict)
    members: Mapping[str, Role] = field(default_factory=dict)
    """Lower-cased e-mail address or group name → role (with an identity provider)."""
    default_role: Role | None = Role.VIEWER
    """Role of a signed-in user the map does not name; None refuses them."""

    def validate(self) -> AccessConfig:
        """self when consistent; ValueError naming the setting to fix otherwise."""
        for stored in self.passwords.values():
            check_hash(stored)
        if self.mode is Mode.PASSWORD and not self.passwords:
            raise ValueError("password sign-in needs at least one role's password hash")
        return self

    def role_for(self, user: Mapping[str, Any]) -> Role | None:
        """The highest role the map gives user's e-mail or groups (from the identity provider), else the default."""
        names = [str(user.get("email", ""))]
        groups = user.get("groups") or []
        names += [groups] if isinstance(groups, str) else [str(g) for g in groups]
        found = [self.members[n.strip().lower()] for n in names if n.strip().lower() in self.members]
        return max(found) if found else self.default_role


def from_sources(env: Mapping[str, str], secrets_: Mapping[str, Any]) -> AccessConfig:
    """The sign-in settings from environment variables and Streamlit secrets ([auth] and [cxlens])."""
    own = secrets_.get(SECRETS_SECTION) or {}
    passwords: dict[Role, str] = {}
    for role in Role:
        stored = env.get(PASSWORD_ENV.format(role=role.name)) or (own.get("passwords") or {}).get(role.label)
        if stored:
            passwords[role] = str(stored).strip()
    members: dict[str, Role] = {}
    for role_name, names in (own.get("roles") or {}).items():
        role = Role.parse(role_name)
        for name in [names] if isinstance(names, str) else names:
            members[str(name).strip().lower()] = max(role, members.get(str(name).strip().lower(), role))
    default = str(own.get("default_role", "viewer")).strip().lower()
    default_role = None if default == "none" else Role.parse(default)
    if secrets_.get("auth"):
        mode = Mode.IDENTITY_PROVIDER
    elif passwords:
        mode = Mode.PASSWORD
    else:
        mode = Mode.OFF
    return AccessConfig(mode, passwords, members, default_role).validate()


def from_environment(secrets_: Mapping[str, Any]) -> AccessConfig:
    """from_sources with this process's environment variables."""
    return from_sources(os.environ, secrets_)

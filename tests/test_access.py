"""Who may do what: the role model, password hashes and the sign-in configuration (no Streamlit)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dashboard import access
from dashboard.access import Action, Mode, Role

ROOT = Path(__file__).resolve().parent.parent
SALT = bytes(range(16))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Action.VIEW}),
        (Role.ANALYST, {Action.VIEW, Action.UPLOAD, Action.PUBLISH, Action.EDIT}),
        (Role.ADMIN, set(Action)),
        (None, set()),
    ],
)
def test_each_role_may_take_exactly_its_actions(role, allowed):
    assert {a for a in Action if access.permits(role, a)} == allowed


def test_a_refusal_says_who_may_and_who_you_are():
    assert access.refusal(Role.VIEWER, Action.PUBLISH) == (
        "Only an analyst or admin may publish, activate or rename datasets; you are signed in as viewer."
    )
    assert access.refusal(Role.ANALYST, Action.DELETE) == (
        "Only an admin may delete datasets and versions; you are signed in as analyst."
    )
    assert access.refusal(None, Action.VIEW) == "Sign in to see, filter, present and export."


def test_role_names_parse_in_any_case_and_nothing_else():
    assert Role.parse(" Analyst ") is Role.ANALYST
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        Role.parse("owner")


def test_a_password_matches_only_its_own_hash():
    stored = access.hash_password("correct horse", SALT)
    assert access.verify_password("correct horse", stored)
    assert not access.verify_password("correct hors", stored)
    assert not access.verify_password("", stored)
    other = access.hash_password("correct horse")  # a fresh random salt: a different hash of the same password
    assert other != stored and access.verify_password("correct horse", other)


def test_the_hash_is_scrypt_with_its_parameters_and_never_the_password():
    stored = access.hash_password("hunter2", SALT)
    kind, n, r, p, salt, digest = stored.split("$")
    assert (kind, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt == "AAECAwQFBgcICQoLDA0ODw"  # the 16 salt bytes in URL-safe base64 without padding
    assert len(digest) == 86  # 64 bytes
    assert "hunter2" not in stored


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ("hunter2", "must be configured as its hash"),
        ("pbkdf2$1$2$3$abc$def", "must be configured as its hash"),
        ("scrypt$16384$8$1$$AAAA", "damaged"),
        ("scrypt$sixteen$8$1$AAAA$AAAA", "damaged"),
        ("scrypt$16383$8$1$AAAA$AAAA", "out of range"),  # not a power of two
        ("scrypt$2097152$8$1$AAAA$AAAA", "out of range"),  # 2**21: 2 GB per sign-in
    ],
)
def test_a_bad_configured_hash_is_refused_with_what_to_do(stored, message):
    with pytest.raises(ValueError, match=message):
        access.check_hash(stored)


def test_an_empty_password_cannot_be_hashed():
    with pytest.raises(ValueError, match="empty"):
        access.hash_password("")


def test_nothing_configured_means_sign_in_off():
    config = access.from_sources({}, {})
    assert config.mode is Mode.OFF and config.passwords == {}


def test_password_hashes_come_from_environment_variables_or_secrets():
    analyst, viewer = access.hash_password("a", SALT), access.hash_password("v", SALT)
    config = access.from_sources(
        {"CXLENS_PASSWORD_ANALYST": analyst}, {"cxlens": {"passwords": {"viewer": viewer, "analyst": "ignored"}}}
    )
    assert config.mode is Mode.PASSWORD
    assert config.passwords == {Role.ANALYST: analyst, Role.VIEWER: viewer}  # the environment wins


def test_a_plain_text_password_in_the_configuration_is_refused():
    with pytest.raises(ValueError, match="hash-password"):
        access.from_sources({"CXLENS_PASSWORD_ADMIN": "letmein"}, {})


def test_an_identity_provider_takes_precedence_and_maps_emails_and_groups_to_roles():
    secrets = {
        "auth": {"client_id": "x", "redirect_uri": "https://cx.example/oauth2callback"},
        "cxlens": {"roles": {"admin": ["Ana@Example.com"], "analyst": ["cx-analysts", "ana@example.com"]}},
    }
    config = access.from_sources({"CXLENS_PASSWORD_ADMIN": access.hash_password("x", SALT)}, secrets)
    assert config.mode is Mode.IDENTITY_PROVIDER
    assert config.role_for({"email": "ana@example.com"}) is Role.ADMIN  # the higher of her two roles
    assert config.role_for({"email": "bo@example.com", "groups": ["sales", "CX-Analysts"]}) is Role.ANALYST
    assert config.role_for({"email": "cy@example.com", "groups": "cx-analysts"}) is Role.ANALYST
    assert config.role_for({"email": "di@example.com"}) is Role.VIEWER  # anyone else signed in: the default role


def test_default_role_none_refuses_users_the_map_does_not_name():
    config = access.from_sources({}, {"auth": {"client_id": "x"}, "cxlens": {"default_role": "none"}})
    assert config.role_for({"email": "di@example.com"}) is None


def test_an_unknown_role_in_the_map_is_refused():
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        access.from_sources({}, {"auth": {"client_id": "x"}, "cxlens": {"roles": {"owner": ["x@example.com"]}}})


def test_by_default_the_app_listens_on_localhost_only_with_the_agent_api_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["server"]["enableAgentApi"] is False


def test_secrets_files_are_never_committed():
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_command_line_prints_a_hash_of_the_password_it_reads(monkeypatch, capsys):
    import io

    from dashboard.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO("open sesame\n"))
    assert main(["hash-password", "analyst"]) == 0
    name, _, quoted = capsys.readouterr().out.strip().partition("=")
    assert name == "CXLENS_PASSWORD_ANALYST"
    assert access.verify_password("open sesame", quoted.strip("'"))
    assert not access.verify_password("open sesame\n", quoted.strip("'"))

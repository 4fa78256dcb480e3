"""The ledger's keys: given as a value or a file, or (embedded default only) generated into var/."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings

GENERATE_KEY = (
    'ledger keys generate  (or: python -c "import base64, os;'
    ' print(base64.b64encode(os.urandom(32)).decode())")'
)


class MissingKeyError(ValueError):
    """A key the ledger needs is not given, and outside the embedded default none is made up."""


def jwt_secret(settings: Settings) -> bytes:
    """The HS256 secret: given, or (embedded default) generated into var/ on first start."""
    return _text(
        settings, settings.jwt_secret_value, settings.jwt_secret_file, "LEDGER_JWT_SECRET"
    ).encode()


def seal_signer(settings: Settings) -> Ed25519PrivateKey:
    """The key that signs the audit chain's checkpoints."""
    return Ed25519PrivateKey.from_private_bytes(
        _secret(
            settings,
            settings.seal_signing_key,
            settings.seal_signing_key_file,
            "LEDGER_SEAL_SIGNING_KEY",
        )
    )


def kek(settings: Settings) -> bytes:
    """The key-encryption key: given, or (embedded default) generated into var/."""
    return _secret(
        settings,
        settings.key_encryption_key,
        settings.key_encryption_key_file,
        "LEDGER_KEY_ENCRYPTION_KEY",
    )


def missing_keys(settings: Settings, *, tokens: bool = True) -> list[str]:
    """The variables of keys neither given nor to be generated here (empty when embedded).

    A key generated into one host's var/ would differ on the next host (or a new container):
    personal data written there could not be read here, checkpoints would carry another
    signature, and tokens of one host would be refused by the other. `tokens`: whether this
    process checks tokens (`ledger serve`, `ledger token`); with a JWKS none is needed.
    """
    if settings.embedded:
        return []
    wanted = [
        (
            "LEDGER_KEY_ENCRYPTION_KEY",
            settings.key_encryption_key,
            settings.key_encryption_key_file,
        ),
        ("LEDGER_SEAL_SIGNING_KEY", settings.seal_signing_key, settings.seal_signing_key_file),
    ]
    if tokens and not (settings.jwks_file or settings.jwks_url):
        wanted.append(("LEDGER_JWT_SECRET", settings.jwt_secret_value, settings.jwt_secret_file))
    return [name for name, value, path in wanted if not value and not path.is_file()]


def require_keys(settings: Settings, *, tokens: bool = True) -> None:
    """Refuse, naming each missing key and how to make one, unless all are given."""
    missing = missing_keys(settings, tokens=tokens)
    if missing:
        raise MissingKeyError(missing_keys_message(missing))


def fresh_key() -> str:
    """32 random bytes in base64: a new key-encryption key, signing key or HS256 secret."""
    return base64.b64encode(os.urandom(32)).decode()


def missing_keys_message(variables: list[str]) -> str:
    names = ", ".join(variables)
    return (
        f"ledger: refusing to start without {names}.\n"
        "Outside the embedded SQLite default no key is generated: every host of one ledger must"
        " use the same keys, or personal data written by one host is unreadable on another."
        f" Set {names} (32 random bytes in base64; or the same name with _FILE, naming a file"
        " that holds it) to the same value on every host. Generate each once with:\n"
        f"  {GENERATE_KEY}"
    ) + (
        "\nTokens may be checked against a JWKS instead (LEDGER_JWKS_FILE or LEDGER_JWKS_URL)."
        if "LEDGER_JWT_SECRET" in variables
        else ""
    )


def _secret(settings: Settings, value: str | None, path: Path, variable: str) -> bytes:
    return base64.b64decode(_text(settings, value, path, variable))


def _text(settings: Settings, value: str | None, path: Path, variable: str) -> str:
    """A key from the environment, or from its file; generated only by the embedded default."""
    if value:
        return value
    if settings.embedded:
        return _generated(path)
    if path.is_file():
        return path.read_text().strip()
    raise MissingKeyError(missing_keys_message([variable]))


def _generated(path: Path) -> str:
    """The text of a secret file, made with 32 random bytes (base64) on first start."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: processes starting together agree on one key.
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        aside.write_text(fresh_key())
        aside.chmod(0o600)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process made it first: that one is the key
        finally:
            aside.unlink()
    return path.read_text().strip()

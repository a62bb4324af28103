"""High-entropy secrets: generated with `secrets`, stored as SHA-256 (fast hash is right here:
the secret has >= 128 bits of entropy, so there is nothing to brute-force)."""

import hashlib
import hmac
import secrets


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_new(nbytes: int = 32) -> tuple[str, str]:
    """Return (clear token, its hash). 32 bytes = 256 bits."""
    raw = secrets.token_urlsafe(nbytes)
    return raw, token_hash(raw)


def token_matches(raw: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(raw), stored_hash)

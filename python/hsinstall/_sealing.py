"""Tokens at rest (docs/hook.md, "Tokens at rest"): AES-256-GCM with a key ring.

A key ring is one or more 32-byte keys (``HSINSTALL_TOKEN_KEY`` or ``HSINSTALL_TOKEN_KEY_FILE``:
each key as 64 hex characters or base64/base64url of 43 or 44 characters, separated by spaces
or commas). The first key seals; the others only unseal. A key's id is derived: the first 16
hex characters of HMAC-SHA256(key, "hsinstall token key id"). A sealed token is

    v1.<key id>.<12-byte nonce, base64url>.<ciphertext || 16-byte tag, base64url>

(base64url without padding), with the additional authenticated data
``hsinstall/v1/<column>/<portal_id>``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KeyRing", "SealError", "SettingsError", "key_id"]

KEY_VARIABLE = "HSINSTALL_TOKEN_KEY"
MAKE_ONE = "make one with: openssl rand -hex 32"
_ID_LABEL = b"hsinstall token key id"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_B64 = re.compile(r"[A-Za-z0-9+/_-]{43}=?")
_SEALED = re.compile(r"v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})")


class SettingsError(ValueError):
    """A missing or invalid setting; the message names the variable."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__("%s: %s" % (variable, message))


class SealError(ValueError):
    """A sealed value does not open (altered, moved to another row or column, unknown key)."""


def key_id(key: bytes) -> str:
    """The derived id of a 32-byte key: 16 hex characters."""
    return hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_key(item: str, n: int, variable: str) -> bytes:
    where = "key %d of %s" % (n, variable) if n else variable
    if _HEX64.fullmatch(item):
        return bytes.fromhex(item)
    if _B64.fullmatch(item):
        if re.search(r"[+/]", item) and re.search(r"[-_]", item):  # as the Node hook: one alphabet or the other
            raise SettingsError(variable, "%s mixes base64 and base64url characters; %s" % (where, MAKE_ONE))
        t = item.replace("+", "-").replace("/", "_").rstrip("=")
        try:
            raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 32:
            return raw
    raise SettingsError(variable, "%s is not a 32-byte key (%d characters; want 64 hex characters, or 43/44 of "
                        "base64 or base64url); %s" % (where, len(item), MAKE_ONE))


def read_setting(env: Mapping[str, str], name: str) -> Tuple[Optional[str], str]:
    """``name`` from ``env``, or the contents of the file ``name_FILE`` names (trailing
    whitespace dropped), with the variable it came from; SettingsError when both are set or
    the file cannot be read. The one reader of every HSINSTALL_* setting."""
    value, path = env.get(name), env.get(name + "_FILE")
    if value and path:
        raise SettingsError(name, "set %s or %s_FILE, not both" % (name, name))
    if not path:
        return value, name
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip(), name + "_FILE"
    except OSError as e:
        raise SettingsError(name + "_FILE", "cannot read %s (%s)" % (path, e.strerror or e)) from None


class KeyRing:
    """The token keys: ``keys[0]`` seals, every key unseals rows of its id."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise SettingsError(KEY_VARIABLE, "is not set: tokens are sealed at rest and need a key; " + MAKE_ONE)
        for k in keys:
            if len(k) != 32:
                raise SettingsError(KEY_VARIABLE, "a key must be 32 bytes (it has %d); %s" % (len(k), MAKE_ONE))
        self._keys: List[Tuple[str, AESGCM]] = []
        seen = set()
        for k in keys:
            kid = key_id(k)
            if kid not in seen:
                seen.add(kid)
                self._keys.append((kid, AESGCM(k)))
        self._by_id = dict(self._keys)

    def __repr__(self) -> str:
        return "KeyRing(%s)" % ", ".join(self.ids)

    @property
    def ids(self) -> Tuple[str, ...]:
        return tuple(kid for kid, _ in self._keys)

    @property
    def sealing_id(self) -> str:
        return self._keys[0][0]

    def holds(self, kid: Optional[str]) -> bool:
        return kid in self._by_id

    @classmethod
    def parse(cls, text: str, variable: str = KEY_VARIABLE) -> "KeyRing":
        """Keys separated by spaces or commas; raises SettingsError naming ``variable``."""
        items = [x for x in re.split(r"[\s,]+", text or "") if x]
        if not items:
            raise SettingsError(variable, "is not set: tokens are sealed at rest and need a key; " + MAKE_ONE)
        return cls([_parse_key(x, i + 1 if len(items) > 1 else 0, variable) for i, x in enumerate(items)])

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "KeyRing":
        """HSINSTALL_TOKEN_KEY, or the file HSINSTALL_TOKEN_KEY_FILE names."""
        value, name = read_setting(os.environ if environ is None else environ, KEY_VARIABLE)
        return cls.parse(value or "", name)

    @staticmethod
    def _aad(column: str, portal_id: int) -> bytes:
        return ("hsinstall/v1/%s/%d" % (column, int(portal_id))).encode("ascii")

    def seal(self, plaintext: str, column: str, portal_id: int) -> str:
        kid, aead = self._keys[0]
        nonce = os.urandom(12)
        ct = aead.encrypt(nonce, plaintext.encode("utf-8"), self._aad(column, portal_id))
        return "v1.%s.%s.%s" % (kid, _b64url(nonce), _b64url(ct))

    def unseal(self, sealed: str, column: str, portal_id: int) -> str:
        m = _SEALED.fullmatch(sealed or "")
        if m is None:
            raise SealError("not a sealed token (v1.<key id>.<nonce>.<ciphertext>)")
        aead = self._by_id.get(m.group(1))
        if aead is None:
            raise SealError("sealed with key id %s, which %s does not hold" % (m.group(1), KEY_VARIABLE))
        try:
            nonce, ct = _unb64url(m.group(2)), _unb64url(m.group(3))
            return aead.decrypt(nonce, ct, self._aad(column, portal_id)).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise SealError("the seal does not open (altered, or moved from another row or column)") from None

    @staticmethod
    def sealed_key_id(sealed: str) -> Optional[str]:
        m = _SEALED.fullmatch(sealed or "")
        return m.group(1) if m else None


def missing_key_message(kids: Iterable[str]) -> str:
    ids = ", ".join(sorted(set(kids)))
    return ("install rows were sealed with key id %s, which %s does not hold: put that key after the current one "
            "(HSINSTALL_TOKEN_KEY=\"<new key> <old key>\"), then run rotate-key "
            "(python -m hsinstall.hook rotate-key)" % (ids, KEY_VARIABLE))

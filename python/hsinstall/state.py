"""``state`` values: URL-safe text from random bytes, optionally with an expiry and a host-made MAC.

The core has no randomness, no clock and no crypto: ``new_state`` takes its bytes from
``secrets``, ``verify`` its time from ``time.time()`` unless ``now`` is given, and a signed
state's MAC is HMAC-SHA256 over ``StateToken.signed_part`` computed here with ``hmac`` (the
hook contract, docs/hook.md); the core formats it and compares it in constant time.

    state = hsinstall.new_state()                          # 'q3Jt0c9Qm1xZk4VbR2wYpA'
    state = hsinstall.new_state(expires_in=600)            # '<nonce>.<unix expiry>'
    state = hsinstall.new_state(expires_in=600, key=KEY)   # '<nonce>.<expiry>.<mac>'
    problems = hsinstall.state.verify(state, key=KEY)      # [] when genuine and not expired
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import List, Optional, Union

from . import _core
from ._types import Diagnostic, StateToken

MIN_BYTES: int = _core.MIN_STATE_BYTES
MAX_BYTES: int = _core.MAX_STATE_BYTES


def _hmac(key: bytes, token: StateToken) -> bytes:
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError("key must be bytes (the HMAC key), not %s" % type(key).__name__)
    return hmac.new(bytes(key), token.signed_part.encode("utf-8"), hashlib.sha256).digest()


def new_state(*, nbytes: int = 16, expires_in: Optional[float] = None, expires_at: Optional[int] = None,
              now: Optional[float] = None, key: Optional[bytes] = None) -> str:
    """A fresh state from ``secrets.token_bytes(nbytes)`` (16 to 64 bytes), encoded by the core.

    ``expires_in`` (seconds from ``now``, default time.time()) or ``expires_at`` (Unix seconds)
    adds an expiry that ``verify`` checks. ``key`` signs it: HMAC-SHA256 over the nonce and
    expiry (a signed state needs an expiry). Raises StateError for a bad size or expiry."""
    if expires_in is not None and expires_at is not None:
        raise TypeError("new_state(): give expires_in or expires_at, not both")
    if expires_in is not None:
        expires_at = int((time.time() if now is None else now) + expires_in)
    if key is not None and expires_at is None:
        raise TypeError("new_state(): a signed state needs an expiry; pass expires_in= or expires_at=")
    state = _core.encode_state(secrets.token_bytes(nbytes), expires_at=expires_at)
    if key is not None:
        state = _core.sign_state(state, _hmac(key, _core.decode_state(state)))
    return state


def encode(random: bytes, *, expires_at: Optional[int] = None) -> str:
    """Encodes caller-supplied random bytes (16 to 64) and an optional expiry as a state."""
    return _core.encode_state(random, expires_at=expires_at)


def sign(state: str, mac: bytes) -> str:
    """Appends a MAC (at least 16 bytes, e.g. an HMAC-SHA256 of ``decode(state).signed_part``)
    to a state that has an expiry."""
    return _core.sign_state(state, mac)


def decode(state: str) -> StateToken:
    """Decodes a state; raises StateError when it is malformed."""
    return _core.decode_state(state)


def verify(state: Union[str, StateToken], *, now: Optional[float] = None, expected_mac: Optional[bytes] = None,
           key: Optional[bytes] = None) -> List[Diagnostic]:
    """Checks a state's expiry against ``now`` (default time.time()) and its MAC in constant
    time: ``expected_mac`` as given, or HMAC-SHA256 with ``key``. Returns a list of Diagnostic
    (empty: fine); raises StateError when a str state cannot be decoded."""
    if key is not None:
        if expected_mac is not None:
            raise TypeError("verify(): give expected_mac or key, not both")
        if isinstance(state, str):
            state = _core.decode_state(state)
        expected_mac = _hmac(key, state)
    return _core.verify_state(state, now=time.time() if now is None else now, expected_mac=expected_mac)

"""``state`` values: URL-safe text from random bytes, optionally with an expiry and a host-made MAC.

The core has no randomness and no clock: ``new_state`` takes its bytes from ``secrets`` and
``verify`` its time from ``time.time()`` unless ``now`` is given. The MAC (an HMAC over
``StateToken.signed_part``, computed by the host) is the caller's: see ``sign`` and ``verify``.

    state = hsinstall.new_state()                      # 'q3Jt0c9Qm1xZk4VbR2wYpA'
    state = hsinstall.new_state(expires_in=600)        # '<nonce>.<unix expiry>'
"""
from __future__ import annotations

import secrets
import time
from typing import List, Optional, Union

from . import _core
from ._types import Diagnostic, StateToken

MIN_BYTES: int = _core.MIN_STATE_BYTES
MAX_BYTES: int = _core.MAX_STATE_BYTES


def new_state(*, nbytes: int = 16, expires_in: Optional[float] = None, expires_at: Optional[int] = None,
              now: Optional[float] = None) -> str:
    """A fresh state from ``secrets.token_bytes(nbytes)`` (16 to 64 bytes), encoded by the core.

    ``expires_in`` (seconds from ``now``, default time.time()) or ``expires_at`` (Unix seconds)
    adds an expiry that ``verify`` checks. Raises StateError for a bad size or expiry."""
    if expires_in is not None and expires_at is not None:
        raise TypeError("new_state(): give expires_in or expires_at, not both")
    if expires_in is not None:
        expires_at = int((time.time() if now is None else now) + expires_in)
    return _core.encode_state(secrets.token_bytes(nbytes), expires_at=expires_at)


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


def verify(state: Union[str, StateToken], *, now: Optional[float] = None,
           expected_mac: Optional[bytes] = None) -> List[Diagnostic]:
    """Checks a state's expiry against ``now`` (default time.time()) and, given ``expected_mac``,
    its MAC in constant time. Returns a list of Diagnostic (empty: fine); raises StateError
    when a str state cannot be decoded."""
    return _core.verify_state(state, now=time.time() if now is None else now, expected_mac=expected_mac)

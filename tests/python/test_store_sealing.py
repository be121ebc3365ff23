"""Tokens at rest (docs/hook.md): the key ring's formats, the sealed layout, and a value sealed
by node:crypto (the Node runtime's primitive) following the documented layout opening here."""
from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest

from hsinstall._sealing import KeyRing, SealError, SettingsError, key_id

A = bytes.fromhex("aa" * 32)
B = bytes.fromhex("bb" * 32)
SEALED = re.compile(r"v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+")


def test_key_formats_and_separators():
    for text in (A.hex(), A.hex().upper(), base64.b64encode(A).decode(), base64.b64encode(A).decode().rstrip("="),
                 base64.urlsafe_b64encode(A).decode().rstrip("=")):
        assert KeyRing.parse(text).ids == (key_id(A),), text
    for sep in (" ", ",", ", ", "\n", " ,\t"):
        assert KeyRing.parse(B.hex() + sep + A.hex()).ids == (key_id(B), key_id(A))
    assert KeyRing.parse(A.hex() + " " + A.hex()).ids == (key_id(A),)
    for bad in ("", "  ", A.hex()[:-2], A.hex() + "00", "zz" * 32, base64.b64encode(A[:31]).decode(), "x" * 42, "x" * 45):
        with pytest.raises(SettingsError) as e:
            KeyRing.parse(bad)
        assert e.value.variable == "HSINSTALL_TOKEN_KEY" and "openssl rand -hex 32" in str(e.value)
        assert not bad.strip() or bad[:16] not in str(e.value)


def test_seal_layout_and_what_does_not_open():
    ring = KeyRing([A, B])
    one, two = ring.seal("at-11", "access_token", 11), ring.seal("at-11", "access_token", 11)
    assert SEALED.fullmatch(one) and one != two and one.split(".")[1] == key_id(A)
    assert ring.unseal(one, "access_token", 11) == "at-11"
    _, kid, nonce, body = one.split(".")
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12 and len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == 5 + 16
    for value, column, portal in [(one, "refresh_token", 11), (one, "access_token", 12),
                                  (one[:-1] + ("A" if one[-1] != "A" else "B"), "access_token", 11),
                                  ("v1.%s.%s.%s" % (key_id(B), nonce, body), "access_token", 11),
                                  ("at-11", "access_token", 11), ("v2" + one[2:], "access_token", 11)]:
        with pytest.raises(SealError):
            ring.unseal(value, column, portal)
    with pytest.raises(SealError, match="does not hold"):
        KeyRing([B]).unseal(one, "access_token", 11)
    assert KeyRing([B, A]).unseal(one, "access_token", 11) == "at-11"


NODE_SEAL = r"""
const { createCipheriv, createHmac, randomBytes } = require('node:crypto');
const key = Buffer.from(process.argv[1], 'hex');
const kid = createHmac('sha256', key).update('hsinstall token key id').digest('hex').slice(0, 16);
const nonce = randomBytes(12);
const c = createCipheriv('aes-256-gcm', key, nonce);
c.setAAD(Buffer.from('hsinstall/v1/refresh_token/9007199254740991'));
const body = Buffer.concat([c.update(process.argv[2], 'utf8'), c.final(), c.getAuthTag()]);
console.log(JSON.stringify({ kid, sealed: `v1.${kid}.${nonce.toString('base64url')}.${body.toString('base64url')}` }));
"""


def test_a_value_sealed_by_node_crypto_after_the_documented_layout_opens():
    r = subprocess.run(["node", "-e", NODE_SEAL, A.hex(), "rt-é/+=\"'"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["kid"] == key_id(A)
    assert KeyRing([A]).unseal(out["sealed"], "refresh_token", 9007199254740991) == "rt-é/+=\"'"


def test_a_key_mixing_base64_and_base64url_characters_is_refused_as_node_refuses_it():
    raw = bytes(range(256))[:32]
    # a key whose base64 has both a '+'/'/' and (once made url-safe in part) a '-'/'_'
    mixed = base64.b64encode(bytes([0xFB, 0xFF] * 16)).decode().rstrip("=")
    mixed = mixed[:10].replace("/", "_") + mixed[10:]
    assert re.search(r"[+/]", mixed) and re.search(r"[-_]", mixed)
    with pytest.raises(SettingsError) as e:
        KeyRing.parse(mixed)
    assert "mixes base64 and base64url" in str(e.value) and mixed not in str(e.value)
    assert KeyRing.parse(base64.b64encode(raw).decode()).sealing_id == key_id(raw)
    assert KeyRing.parse(base64.urlsafe_b64encode(raw).decode().rstrip("=")).sealing_id == key_id(raw)

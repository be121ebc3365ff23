"""pytest setup for the Python face.

hsinstall is imported from wherever it is installed (scripts/test-python installs it into
.venv). To test a CMake build folder instead (cmake -DHSINSTALL_PYTHON=ON), set
HSINSTALL_PYTHONPATH to its python/ folder, e.g. HSINSTALL_PYTHONPATH=build-python/dev/python.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_extra = os.environ.get("HSINSTALL_PYTHONPATH")
if _extra:
    sys.path.insert(0, os.path.abspath(_extra))

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT / "tests" / "fixtures" / "configs" / "official"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def official() -> Path:
    return OFFICIAL


@pytest.fixture
def app():
    import hsinstall

    return hsinstall.AppConfig.from_json(APP_JSON, file_name="app-hsmeta.json")


CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"

APP_JSON = """{
  "uid": "acme_crm_sync",
  "type": "app",
  "config": {
    "name": "Acme CRM sync",
    "description": "Keeps Acme and HubSpot contacts in step.",
    "distribution": "marketplace",
    "auth": {
      "type": "oauth",
      "redirectUrls": ["https://acme.example/oauth/callback"],
      "requiredScopes": ["oauth", "crm.objects.contacts.read"],
      "conditionallyRequiredScopes": ["e-commerce"],
      "optionalScopes": ["crm.objects.deals.read"]
    },
    "permittedUrls": {"fetch": ["https://api.acme.example"], "iframe": [], "img": []},
    "support": {"supportEmail": "support@acme.example", "documentationUrl": "https://acme.example/docs",
                "supportUrl": "https://acme.example/support", "supportPhone": "+18005555555"}
  }
}"""


# ---------------------------------------------------------------------------- the hook's stores

# A token key for the hook tests (HSINSTALL_TOKEN_KEY, docs/hook.md "Tokens at rest").
TOKEN_KEY = os.urandom(32).hex()


def pg_base_url() -> str:
    """HSINSTALL_TEST_PG: a database in a cluster whose user may CREATE DATABASE. scripts/test-python
    starts a throwaway cluster (tests/pg/pgtmp) when it is unset; the PostgreSQL tests never skip."""
    url = os.environ.get("HSINSTALL_TEST_PG")
    if not url:
        pytest.fail("HSINSTALL_TEST_PG is not set: run the suite through scripts/test-python (it starts a throwaway "
                    "PostgreSQL with tests/pg/pgtmp), or set it to a postgresql:// URL whose user may CREATE DATABASE",
                    pytrace=False)
    return url


def pg_url_for(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    u = urlsplit(pg_base_url())
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def pg_admin(sql: str) -> None:
    import psycopg2

    c = psycopg2.connect(pg_base_url())
    try:
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute(sql)
    finally:
        c.close()


class PgDatabases:
    """Throwaway databases (hst_<random>) in the test cluster, dropped at the end."""

    def __init__(self) -> None:
        self.names: list = []

    def new(self) -> str:
        import secrets

        name = "hst_" + secrets.token_hex(6)
        pg_admin("CREATE DATABASE %s" % name)
        self.names.append(name)
        return pg_url_for(name)

    def drop_all(self) -> None:
        for name in self.names:
            pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        self.names = []


@pytest.fixture
def pg_databases():
    dbs = PgDatabases()
    try:
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture
def pg_url(pg_databases) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_databases.new()

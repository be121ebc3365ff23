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

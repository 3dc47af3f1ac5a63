"""Fixtures for the deployment checks: the files under test, parsed once per session.

These tests run offline, without Docker or a cluster. They check the images, the compose file,
the Kubernetes manifests and the monitoring configuration against each other and against the
code (settings classes, metric definitions), so that a renamed setting or metric fails here
rather than in a deployment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# The project runs pytest with --import-mode=importlib, which does not put test directories on
# sys.path; the helpers module beside this file is imported by name from the tests.
sys.path.insert(0, str(Path(__file__).parent))

from deploy_support import (
    REPO,
    SERVICES,
    SETTINGS_CLASSES,
    Dockerfile,
    SettingsContract,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A test that takes `service` runs once per service.
    if "service" in metafunc.fixturenames:
        metafunc.parametrize("service", SERVICES)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def dockerfiles() -> dict[str, Dockerfile]:
    return {name: Dockerfile.read(REPO / "services" / name / "Dockerfile") for name in SERVICES}


@pytest.fixture(scope="session")
def settings_contracts() -> dict[str, SettingsContract]:
    return {name: SettingsContract.of(cls) for name, cls in SETTINGS_CLASSES.items()}

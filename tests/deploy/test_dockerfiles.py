"""The service images: lint-clean, multi-stage, non-root, only their own code, pinned deps."""

from __future__ import annotations

import json
import re
import subprocess

from deploy_support import REPO, SERVICE_SPECS, SERVICES, Dockerfile, tool


def test_hadolint_passes(service: str) -> None:
    # Any `# hadolint ignore=` in a Dockerfile must carry a comment saying why (checked below).
    result = subprocess.run(
        [tool("hadolint"), "--no-color", f"services/{service}/Dockerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_ignores_are_explained(service: str) -> None:
    lines = (REPO / "services" / service / "Dockerfile").read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore" in line:
            above = lines[number - 1].strip() if number else ""
            why = f"line {number + 1}: explain the ignore in a comment on the line above"
            assert above.startswith("#"), why
            assert "hadolint" not in above, why


def test_multi_stage_slim_and_non_root(dockerfiles: dict[str, Dockerfile], service: str) -> None:
    dockerfile = dockerfiles[service]
    assert dockerfile.final_stage >= 1, "build in one stage, run from a clean one"
    args = {
        name: default
        for name, _, default in (i.arguments.partition("=") for i in dockerfile.all("ARG"))
    }
    for instruction in dockerfile.all("FROM"):
        image = instruction.arguments.split()[0]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), image)
        assert image.startswith("python:3.11-slim"), f"base image {image}"

    users = dockerfile.in_final_stage("USER")
    assert users, "the runtime stage must switch to an unprivileged user"
    user = users[-1].arguments.split(":")[0]
    # Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
    assert user.isdigit(), f"USER {user!r} must be numeric"
    assert int(user) != 0


def test_installs_only_its_own_packages_from_the_lock(
    dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    dockerfile = dockerfiles[service]
    sources = {
        instruction.arguments.split()[0]
        for instruction in dockerfile.all("COPY")
        if not instruction.arguments.startswith("--from")
    }
    assert sources == {
        "requirements.lock",
        "libs/contracts",
        "libs/common",
        f"services/{service}",
    }
    install = " ".join(i.arguments for i in dockerfile.all("RUN"))
    assert "--constraint requirements.lock" in install or "-c requirements.lock" in install
    assert "--no-deps" in install, "local wheels must not pull unpinned dependencies"
    for other in set(SERVICES) - {service}:
        assert f"services/{other}" not in install


def test_healthcheck_probes_healthz_on_the_service_port(
    dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    (healthcheck,) = dockerfiles[service].in_final_stage("HEALTHCHECK")
    command = json.loads(healthcheck.arguments[healthcheck.arguments.index("CMD") + 3 :])
    assert command[:2] == ["python", "-c"], "slim has no curl: probe with the interpreter"
    assert "/healthz" in command[2]
    assert str(SERVICE_SPECS[service].http_port) in command[2]
    compile(command[2], "<healthcheck>", "exec")  # the one-liner is valid Python


def test_cmd_serves_and_ports_are_exposed(dockerfiles: dict[str, Dockerfile], service: str) -> None:
    dockerfile = dockerfiles[service]
    assert dockerfile.cmd == ["python", "-m", f"gatehouse_{service}", "serve"]
    exposed = {int(p) for i in dockerfile.in_final_stage("EXPOSE") for p in i.arguments.split()}
    spec = SERVICE_SPECS[service]
    assert exposed == {spec.http_port} | ({spec.grpc_port} if spec.grpc_port else set())


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv"} <= ignored
    assert "**/*.egg-info" in ignored, "stale editable-install metadata must not reach the build"

"""docker-compose.yml: valid, wired to what the services really read, started in order."""

from __future__ import annotations

import re
import subprocess
from typing import Any
from urllib.parse import urlsplit

from deploy_support import (
    REPO,
    SERVICE_SPECS,
    SERVICES,
    SETTINGS_CLASSES,
    Dockerfile,
    SettingsContract,
    is_secret_name,
    secret_variables,
    tool,
)

INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([^}]*)\}")

Compose = dict[str, Any]


def environment(compose: Compose, name: str) -> dict[str, str]:
    env = compose["services"][name].get("environment", {})
    assert isinstance(env, dict), f"{name}: write environment as a mapping"
    return {str(key): str(value) for key, value in env.items()}


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_runs_the_image_cmd(
    compose: Compose, dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    definition = compose["services"][service]
    assert definition["command"] == dockerfiles[service].cmd
    assert definition["build"]["dockerfile"] == f"services/{service}/Dockerfile"
    assert definition["build"]["context"] == "."


def test_migrate_job_runs_first(
    compose: Compose, dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    services = compose["services"]
    job = services[f"{service}-migrate"]
    assert job["command"] == [*dockerfiles[service].cmd[:-1], "migrate"]
    assert job["image"] == services[service]["image"], "the job must migrate with the same code"
    assert job["restart"] == "no"
    assert job["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services[service]["depends_on"][f"{service}-migrate"] == {
        "condition": "service_completed_successfully"
    }
    # The settings (and their placeholder check) load before `migrate` runs: same environment.
    assert environment(compose, f"{service}-migrate") == environment(compose, service)


def test_environment_is_what_the_settings_read(
    compose: Compose, settings_contracts: dict[str, SettingsContract], service: str
) -> None:
    contract = settings_contracts[service]
    passed = set(environment(compose, service))
    unknown = passed - contract.variables
    assert not unknown, f"{service} does not read {sorted(unknown)} (typo, or a removed setting?)"
    missing = contract.required_secrets - passed
    assert not missing, f"{service} would refuse its placeholder default for {sorted(missing)}"


def test_ports_agree_with_settings_and_images(
    compose: Compose, dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    spec = SERVICE_SPECS[service]
    fields = SETTINGS_CLASSES[service].model_fields
    env = environment(compose, service)
    assert fields["http_port"].default == spec.http_port
    assert int(env["HTTP_PORT"]) == spec.http_port
    if spec.grpc_port is None:
        assert "grpc_port" not in fields
        assert "GRPC_PORT" not in env
    else:
        assert fields["grpc_port"].default == spec.grpc_port
        assert int(env["GRPC_PORT"]) == spec.grpc_port


def test_web_services_publish_http_only(compose: Compose) -> None:
    # gRPC stays on the compose network: only the other services call it.
    for name in ("identity", "registry"):
        ports = compose["services"][name]["ports"]
        container_ports = [str(port).rsplit(":", 1)[-1] for port in ports]
        assert container_ports == [str(SERVICE_SPECS[name].http_port)], name


def test_notifier_runs_two_replicas_without_a_host_port(compose: Compose) -> None:
    notifier = compose["services"]["notifier"]
    assert notifier["deploy"]["replicas"] == 2
    assert "ports" not in notifier, "two replicas cannot bind the same host port"
    assert "container_name" not in notifier, "a fixed container name allows only one replica"


def test_secrets_come_from_the_env_file_never_from_the_repository(compose: Compose) -> None:
    for name, definition in compose["services"].items():
        secrets = {
            variable
            for variable in definition.get("environment", {})
            if is_secret_name(variable)
            or any(variable in secret_variables(cls) for cls in SETTINGS_CLASSES.values())
        }
        for variable in secrets:
            value = str(definition["environment"][variable])
            references = INTERPOLATION.findall(value)
            assert references, f"{name}.{variable} must be interpolated from .env"
            for _, operator, _ in references:
                assert operator == ":?", f"{name}.{variable}: no default for a secret, use :?"


def test_every_required_variable_is_in_env_example(compose: Compose) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    required = {name for name, operator, _ in INTERPOLATION.findall(text) if operator != ":-"}
    example = env_example()
    assert required <= set(example), f"add to .env.example: {sorted(required - set(example))}"


def test_env_example_holds_placeholders_only() -> None:
    text = (REPO / ".env.example").read_text()
    assert "change-me" in text
    assert "REPLACE" in text.upper(), ".env.example must tell the reader to replace the values"
    for variable, value in env_example().items():
        if is_secret_name(variable):
            # The services refuse values containing "change-me" in production, so a copied
            # example can never run as is.
            assert "change-me" in value, f"{variable} in .env.example must be a change-me value"


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            variable, _, value = line.partition("=")
            values[variable.strip()] = value.strip()
    return values


def test_each_service_has_its_own_database_and_role(compose: Compose, service: str) -> None:
    url = urlsplit(INTERPOLATION.sub("x", environment(compose, service)["DATABASE_URL"]))
    assert (url.scheme, url.username, url.hostname, url.port) == (
        "postgresql",
        service,
        "postgres",
        5432,
    )
    assert url.path == f"/{service}"
    init = (REPO / "deploy/postgres/init/10-service-databases.sh").read_text()
    variable = f"{service.upper()}_DB_PASSWORD"
    assert f'create_service_database {service} "${variable}"' in init
    assert variable in environment(compose, "postgres")
    assert variable in environment(compose, service)["DATABASE_URL"]


def test_health_conditions_point_at_health_checked_services(compose: Compose) -> None:
    services = compose["services"]
    for name, definition in services.items():
        for dependency, condition in definition.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] != "service_healthy":
                continue
            healthcheck = services[dependency].get("healthcheck")
            own_image = dependency in SERVICES  # HEALTHCHECK from services/<name>/Dockerfile
            assert own_image or (healthcheck and not healthcheck.get("disable")), (
                f"{name} waits for {dependency} to be healthy, but it has no health check"
            )


def test_infrastructure(compose: Compose) -> None:
    services = compose["services"]
    nats = services["nats"]["command"]
    assert "-js" in nats
    assert nats[nats.index("-sd") + 1] == "/data"
    assert nats[nats.index("-m") + 1] == "8222"
    assert any(volume.endswith(":/data") for volume in services["nats"]["volumes"])
    mailpit_ports = {str(port).rsplit(":", 1)[-1] for port in services["mailpit"]["ports"]}
    assert mailpit_ports == {"1025", "8025"}
    assert environment(compose, "notifier")["SMTP_HOST"] == "mailpit"
    assert "-jsz=all" in services["nats-exporter"]["command"]


def test_bind_mounts_exist(compose: Compose) -> None:
    for name, definition in compose["services"].items():
        for volume in definition.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_grpc_tls_is_one_setting_away(compose: Compose, service: str) -> None:
    """GRPC_TLS in .env turns on TLS between the services, each with its own certificate from
    the mounted deploy/tls (gatehouse_common.grpc_tls reads the files at start)."""
    env = environment(compose, service)
    mounted = {
        str(volume).split(":")[1]: str(volume).split(":")[0]
        for volume in compose["services"][service].get("volumes", [])
    }
    directory = "/run/gatehouse-tls"
    assert mounted.get(directory) == "./deploy/tls", f"{service} must mount deploy/tls"
    expected = {
        "GRPC_TLS_CA_FILE": f"{directory}/ca.pem",
        "GRPC_TLS_CERT_FILE": f"{directory}/{service}.pem",
        "GRPC_TLS_KEY_FILE": f"{directory}/{service}.key",
    }
    for variable, path in expected.items():
        assert INTERPOLATION.findall(env[variable]) == [("GRPC_TLS", ":+", path)], variable
    assert "GRPC_TLS" in env_example(), "the switch is documented in .env.example"
    # The migrate job reads the same settings but opens no gRPC: it needs no certificates.
    assert "volumes" not in compose["services"][f"{service}-migrate"]

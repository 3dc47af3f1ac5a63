"""deploy/kubernetes: every object valid for Kubernetes, each service complete and consistent with
its image and settings, nothing secret in git, PostgreSQL and NATS external.

The kustomizations are rendered here by a small renderer that understands exactly the features
they use (resources, configMapGenerator, images, namespace, patches, labels), so the check needs
neither kubectl nor a cluster; where kubectl is installed, its own rendering is validated too.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from deploy_support import (
    REPO,
    SERVICE_SPECS,
    Dockerfile,
    SettingsContract,
    is_secret_name,
)

KUBERNETES = REPO / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
OVERLAY = KUBERNETES / "overlays" / "example"
# The oldest Kubernetes the manifests promise to work on (deploy/README.md).
KUBERNETES_VERSION = "1.30.0"

Resource = dict[str, Any]

SUPPORTED = {
    "apiVersion", "kind", "resources", "configMapGenerator", "images", "namespace", "patches",
    "labels",
}  # fmt: skip


def render(directory: Path) -> list[Resource]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    assert not unsupported, f"{directory}: teach render() about {sorted(unsupported)}"
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            resources += render(path)
        else:
            resources += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for generator in kustomization.get("configMapGenerator", []):
        generate_config_map(resources, generator)
    for patch in kustomization.get("patches", []):
        (change,) = yaml.safe_load_all((directory / patch["path"]).read_text())
        merge(find(resources, change["kind"], change["metadata"]["name"]), change)
    for image in kustomization.get("images", []):
        for container in containers_of_all(resources):
            if container["image"].rpartition(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for resource in resources:
        for label in kustomization.get("labels", []):
            resource["metadata"].setdefault("labels", {}).update(label["pairs"])
        if "namespace" in kustomization and resource["kind"] != "Namespace":
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def generate_config_map(resources: list[Resource], generator: dict[str, Any]) -> None:
    data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
    if generator.get("behavior", "create") == "merge":
        find(resources, "ConfigMap", generator["name"])["data"].update(data)
        return
    labels = dict(generator.get("options", {}).get("labels", {}))
    resources.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": generator["name"], "labels": labels},
            "data": data,
        }
    )


def merge(target: dict[str, Any], change: dict[str, Any]) -> None:
    """A strategic merge patch for maps (the only kind the overlays use)."""
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def find(resources: list[Resource], kind: str, name: str) -> Resource:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_spec(resource: Resource) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def containers_of_all(resources: list[Resource]) -> list[dict[str, Any]]:
    return [
        container
        for resource in resources
        if resource["kind"] in {"Deployment", "Job"}
        for container in pod_spec(resource)["containers"]
    ]


@pytest.fixture(scope="module")
def base() -> list[Resource]:
    return render(BASE)


@pytest.fixture(scope="module")
def overlay() -> list[Resource]:
    return render(OVERLAY)


def validate(resources: list[Resource]) -> None:
    for resource in resources:
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{resource['kind']}/{resource['metadata']['name']}"
            pytest.fail(f"{name}: {error.message} at {'.'.join(map(str, error.path))}")


def test_base_objects_are_valid_kubernetes(base: list[Resource]) -> None:
    assert len(base) >= 17
    validate(base)


def test_overlay_objects_are_valid_kubernetes(overlay: list[Resource]) -> None:
    validate(overlay)


def test_kustomize_renders_the_overlay_as_we_do(overlay: list[Resource]) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the built-in renderer was checked above")
    result = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    validate(rendered)

    # The same objects, ConfigMap contents and images as ours; kustomize only adds a content
    # hash to generated ConfigMap names (and rewrites the references to them).
    assert summary(rendered, hashed_names=True) == summary(overlay, hashed_names=False)


def summary(resources: list[Resource], *, hashed_names: bool) -> dict[tuple[str, str], Any]:
    result: dict[tuple[str, str], Any] = {}
    for resource in resources:
        kind, name = resource["kind"], resource["metadata"]["name"]
        if kind == "ConfigMap":
            result[kind, name.rsplit("-", 1)[0] if hashed_names else name] = resource["data"]
        elif kind in {"Deployment", "Job"}:
            result[kind, name] = [c["image"] for c in pod_spec(resource)["containers"]]
        else:
            result[kind, name] = resource.get("spec")
    return result


def test_service_is_complete(base: list[Resource], service: str) -> None:
    deployment = find(base, "Deployment", service)
    assert find(base, "Service", service)["spec"]["selector"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    hpa = find(base, "HorizontalPodAutoscaler", service)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": service,
    }  # fmt: skip
    assert hpa["spec"]["minReplicas"] >= 2, "one replica cannot survive a node drain"
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    pdb = find(base, "PodDisruptionBudget", service)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    job = find(base, "Job", f"{service}-migrate")
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_commands_match_the_image(
    base: list[Resource], dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    serve = dockerfiles[service].cmd
    (server,) = pod_spec(find(base, "Deployment", service))["containers"]
    (migrate,) = pod_spec(find(base, "Job", f"{service}-migrate"))["containers"]
    assert server.get("args", serve) == serve
    assert "command" not in server
    assert migrate["args"] == [*serve[:-1], "migrate"]
    assert server["image"] == migrate["image"] == f"gatehouse/{service}:latest"


def test_probes_and_ports(base: list[Resource], service: str) -> None:
    spec = SERVICE_SPECS[service]
    (container,) = pod_spec(find(base, "Deployment", service))["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": spec.http_port} | ({"grpc": spec.grpc_port} if spec.grpc_port else {})
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    service_ports = {
        p["name"]: p["targetPort"] for p in find(base, "Service", service)["spec"]["ports"]
    }
    assert service_ports == {name: name for name in ports}
    config = find(base, "ConfigMap", f"{service}-config")["data"]
    assert int(config["HTTP_PORT"]) == spec.http_port


def test_pods_are_locked_down(
    base: list[Resource], dockerfiles: dict[str, Dockerfile], service: str
) -> None:
    image_user = int(dockerfiles[service].in_final_stage("USER")[-1].arguments.split(":")[0])
    for resource in (find(base, "Deployment", service), find(base, "Job", f"{service}-migrate")):
        pod = pod_spec(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == image_user
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            resources = container["resources"]
            assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_environment_is_what_the_settings_read(
    base: list[Resource], settings_contracts: dict[str, SettingsContract], service: str
) -> None:
    contract = settings_contracts[service]
    server_env = None
    for resource in (find(base, "Deployment", service), find(base, "Job", f"{service}-migrate")):
        (container,) = pod_spec(resource)["containers"]
        from_config = {
            key
            for source in container.get("envFrom", [])
            for key in find(base, "ConfigMap", source["configMapRef"]["name"])["data"]
        }
        from_secrets = {
            entry["name"]
            for entry in container.get("env", [])
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        plain = {entry["name"] for entry in container.get("env", [])} - from_secrets
        passed = from_config | from_secrets | plain
        unknown = passed - contract.variables
        assert not unknown, f"{service} does not read {sorted(unknown)}"
        assert contract.required_secrets <= from_secrets, "required secrets come from a Secret"
        assert "DATABASE_URL" in from_secrets, "the database URL carries a password"
        leaked = {name for name in from_config | plain if is_secret_name(name)}
        assert not leaked, f"{sorted(leaked)} must come from a Secret, not a ConfigMap or value"
        # The migrate Job loads the same settings (and secret checks) as the server.
        env = (container.get("envFrom"), container.get("env"))
        server_env = server_env or env
        assert env == server_env


def test_nothing_secret_and_nothing_home_made(
    base: list[Resource], overlay: list[Resource]
) -> None:
    for resources in (base, overlay):
        kinds = {r["kind"] for r in resources}
        assert "Secret" not in kinds, "Secrets are created outside git (deploy/README.md)"
        assert "StatefulSet" not in kinds, "PostgreSQL and NATS are external, not run here"
        for name in ("postgres", "nats"):
            external = find(resources, "Service", name)
            assert external["spec"]["type"] == "ExternalName"


def test_overlay_sets_namespace_and_pinned_images(overlay: list[Resource]) -> None:
    for resource in overlay:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "gatehouse"
    for container in containers_of_all(overlay):
        tag = container["image"].rpartition(":")[2]
        assert tag not in {"latest", "dev"}, f"{container['image']}: pin a version"
    assert not find(overlay, "Service", "postgres")["spec"]["externalName"].endswith(".invalid")


def test_grpc_between_services_is_mutual_tls(base: list[Resource], service: str) -> None:
    """Every pod mounts its own certificate Secret where the shared settings read the files,
    and servers demand client certificates (gatehouse_common.grpc_tls)."""
    shared = find(base, "ConfigMap", "gatehouse-shared")["data"]
    assert shared["GRPC_TLS_REQUIRE_CLIENT_CERT"] == "true"
    files = [shared[f"GRPC_TLS_{kind}_FILE"] for kind in ("CERT", "KEY", "CA")]
    (directory,) = {str(Path(path).parent) for path in files}
    spec = pod_spec(find(base, "Deployment", service))
    (container,) = spec["containers"]
    assert {"configMapRef": {"name": "gatehouse-shared"}} in container["envFrom"]
    mounts = {m["name"]: m for m in container["volumeMounts"] if m["mountPath"] == directory}
    assert len(mounts) == 1, f"{service} mounts nothing at {directory}"
    ((volume_name, mount),) = mounts.items()
    assert mount.get("readOnly") is True
    volume = next(v for v in spec["volumes"] if v["name"] == volume_name)
    assert volume["secret"]["secretName"] == f"{service}-grpc-tls"
    # kubernetes.io/tls Secrets (cert-manager) name their keys so:
    assert [Path(path).name for path in files] == ["tls.crt", "tls.key", "ca.crt"]

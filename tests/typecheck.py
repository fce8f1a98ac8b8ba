"""Run mypy over the code as it is imported: ``python -m tests.typecheck`` (``make typecheck``).

The repository is cut by pipeline stage and the import namespace by product (pyproject's
``package-dir``: newswatch -> services, newswatch.shared -> shared). mypy reads neither an
editable install's import hook nor ``package-dir``, so it checks a tree of links that maps
the namespace the same way, kept under .run/typecheck with mypy's cache.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".run" / "typecheck"


def link_tree() -> Path:
    """``newswatch/`` holding a link to each entry of services/ and ``shared`` to shared/."""
    package = WORK / "tree" / "newswatch"
    package.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in (ROOT / "services").iterdir() if p.name != "__pycache__"}
    wanted["shared"] = ROOT / "shared"
    for link in package.iterdir():
        if link.name not in wanted or link.resolve() != wanted[link.name]:
            link.unlink()
    for name, target in wanted.items():
        link = package / name
        if not link.is_symlink():
            link.symlink_to(target)
    return package.parent


def run() -> subprocess.CompletedProcess[str]:
    tree = link_tree()
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    command += ["--cache-dir", str(WORK / "cache"), "-p", "newswatch"]
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)


if __name__ == "__main__":
    result = run()
    print(result.stdout.replace(str(WORK / "tree") + "/", ""), end="", file=sys.stdout)
    print(result.stderr, end="", file=sys.stderr)
    sys.exit(result.returncode)

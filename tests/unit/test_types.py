"""The code type-checks: mypy over every service and shared/ (``make typecheck``)."""

from tests import typecheck


def test_mypy_finds_no_errors() -> None:
    result = typecheck.run()  # mypy is a dev dependency: missing, it fails here too
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

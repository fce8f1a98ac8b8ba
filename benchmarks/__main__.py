"""Run every benchmark and print one table, with the machine it ran on."""

import os
import platform
import resource
import sys

from benchmarks.alerter import bench_alerter
from benchmarks.console import bench_console
from benchmarks.fetcher import bench_fetcher, servers
from benchmarks.measure import (
    Row,
    bench_classifier,
    bench_classify_command,
    bench_matching,
    bench_parsing,
    bench_stories,
)
from benchmarks.stream import bench_stream


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    with servers() as found:
        if found is None:
            served = [Row("Kafka/Redis benchmarks skipped: the servers could not start", 0, "")]
        else:
            served = [*bench_fetcher(*found), *bench_alerter(*found), *bench_stream(found[0])]
            served += bench_console(*found)
    rows: list[Row] = [
        *served,
        *bench_classifier(),
        *bench_classify_command(),
        *bench_parsing(),
        *bench_matching(),
        *bench_stories(),
    ]
    width = max(len(r.name) for r in rows)
    print(f"newswatch benchmarks on {machine()} (one core, one process)\n")
    print(f"{'benchmark':{width}}  {'result':>14}  {'target':>14}  status")
    print(f"{'-' * width}  {'-' * 14}  {'-' * 14}  ------")
    for row in rows:
        status = "-" if row.target is None else ("ok" if row.met else "MISSED")
        target = "" if row.target is None else f"{row.cmp} {row.target:g}"
        # Ratios to two places: 0.28 against a 0.3 target must not print as "0.3 MISSED".
        value = f"{row.value:>10,.2f}" if row.unit == "x" else f"{row.value:>10,.1f}"
        print(f"{row.name:{width}}  {value} {row.unit:<3}  {target:>14}  {status}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this benchmark process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

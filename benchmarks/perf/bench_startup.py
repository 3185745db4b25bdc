"""Cold start of the command line: median wall time of `veracity --help` (and friends) in new processes.

Prints absolute medians and the ratio to a bare `python -c pass` measured in the same run, because
these machines are shared and noisy. Target: `veracity --help` under 0.3 s here.

Usage:
    python -m veracity.benchmarks.perf.bench_startup [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "veracity --help": [sys.executable, "-m", "veracity.cli", "--help"],
    "veracity --version": [sys.executable, "-m", "veracity.cli", "--version"],
    "veracity check --help": [sys.executable, "-m", "veracity.cli", "check", "--help"],
}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    beside = Path(sys.executable).with_name("veracity")
    script = str(beside) if beside.exists() else shutil.which("veracity")
    commands = dict(COMMANDS)
    if script:
        commands["veracity --help (console script)"] = [script, "--help"]
    results = {name: median_seconds(cmd, args.runs) for name, cmd in commands.items()}
    baseline = results["python -c pass (baseline)"]
    print(f"{'command':40s} {'median s':>9s} {'x baseline':>11s}")
    for name, seconds in results.items():
        print(f"{name:40s} {seconds:9.3f} {seconds / baseline:11.2f}")
    target = results.get("veracity --help (console script)", results["veracity --help"])
    print(f"\nveracity --help: {target:.3f} s (target < 0.300 s): {'OK' if target < 0.3 else 'OVER'}")


if __name__ == "__main__":
    main()

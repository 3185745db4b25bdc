"""Scale-out on Ray Data: the same per-file work (`scan_file`) in actors that load the detector once.

Traps of Ray 2.60 handled here (each was measured on a 2-core machine):

* ``ray.init()`` with no address joins any cluster already running on the host: we start a private
  local instance explicitly (``address="local"``) unless an address is given or ``RAY_ADDRESS`` is set.
* An actor pool that takes every CPU starves the read tasks and Ray waits forever: the local instance
  gets one CPU more than the actors use.
* A file that crashes its actor is retried forever by default, and with retries capped its whole block
  is dropped silently: we cap restarts and retries, allow dropped blocks, then rescan every file that
  came back without a record one at a time in isolated local processes, so each crash costs one file.
* A file that runs past the per-file time budget ends its actor (a watchdog thread exits the process), so its
  block is rescanned in isolated local processes, where the budget makes it a ``TimeoutError`` record.
* Paths travel as file-system bytes (an Arrow string must be UTF-8, and a Linux file name need not be).
* Ray's own processes outlive a driver killed with SIGKILL: a private instance records their PIDs in
  ``<output>.ray-processes.json`` and the next run on that output ends the strays before starting.
* Usage reporting is on by default (off here), the object store takes 30% of RAM in shared memory
  (sized here), and Ray's logs and progress bars would reach stdout (kept off).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.isolation import rescan_isolated
from veracity.benchmarks.scan.settings import DEFAULT_ROWS_PER_BLOCK, DEFAULT_TASK_TIMEOUT_S, ScanSettings
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.benchmarks.scan.worker import init_scan_context, scan_file

_OBJECT_STORE_BYTES = 256 * 1024 * 1024
#: One BLAS/OpenMP thread per actor (the actors are the parallelism), and no usage reporting from workers.
_WORKER_ENV = {"OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass(frozen=True)
class RayEngine:
    """The `ScanEngine` on Ray Data: ``address`` (or ``RAY_ADDRESS``), else a private local instance.

    Attributes:
        workers: actors, one CPU each.
        address: an existing cluster, or ``None``.
        rows_per_block: files per Ray block.
        state_file: where a private instance records its PIDs while it runs (``None``: not recorded).
    """

    workers: int = 2
    address: str | None = None
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK
    state_file: Path | None = None
    task_timeout_s: float | None = DEFAULT_TASK_TIMEOUT_S

    def run(
        self, paths: list[str], settings: ScanSettings, summary: ScanSummary
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        return run_on_ray(
            paths,
            settings,
            workers=self.workers,
            address=self.address,
            summary=summary,
            rows_per_block=self.rows_per_block,
            state_file=self.state_file,
            task_timeout_s=self.task_timeout_s,
        )


#: Exit code of an actor that ended itself because a file ran past the time budget.
_TIMEOUT_EXIT_CODE = 87


class _ScanActor:
    """A Ray Data callable class: one per actor, holding the scan context (and its detector)."""

    def __init__(self, settings: ScanSettings, timeout_s: float | None) -> None:
        self.context = init_scan_context(settings)
        self.timeout_s = timeout_s

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        paths = [os.fsdecode(bytes(p)) for p in batch["path"]]
        records = [json.dumps(self._scan(path)) for path in paths]  # ASCII: safe whatever the names
        return {"path": [os.fsencode(p) for p in paths], "record": records}

    def _scan(self, path: str) -> dict[str, Any]:
        if self.timeout_s is None:
            return scan_file(path, self.context)
        # Native code (a decoder, the C2PA SDK) cannot be interrupted: past the budget the actor ends itself.
        watchdog = threading.Timer(self.timeout_s, os._exit, (_TIMEOUT_EXIT_CODE,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return scan_file(path, self.context)
        finally:
            watchdog.cancel()


def run_on_ray(
    tasks: list[str],
    settings: ScanSettings,
    *,
    workers: int,
    address: str | None,
    summary: ScanSummary | None = None,
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK,
    state_file: Path | None = None,
    task_timeout_s: float | None = DEFAULT_TASK_TIMEOUT_S,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(path, scan record)`` for every task, computed by Ray Data actors.

    Raises:
        BenchmarkError: Ray is not installed.
    """
    ray = _import_ray()
    if state_file is not None:
        reap_stray_processes(state_file)
    if not tasks:
        return
    workers = max(1, workers)
    started_here = _init_ray(ray, workers, address, settings.device)
    if started_here and state_file is not None and not (address or os.environ.get("RAY_ADDRESS")):
        _record_processes(ray, state_file)
    seen: set[str] = set()
    try:
        for path, record in _iterate(ray, tasks, settings, workers, rows_per_block, task_timeout_s):
            seen.add(path)
            yield path, record
    finally:
        if started_here:
            ray.shutdown()
        if state_file is not None:
            state_file.unlink(missing_ok=True)
    missing = [path for path in tasks if path not in seen]
    if missing:  # blocks dropped by crashed actors: rescan those files one by one, isolated
        yield from rescan_isolated(missing, settings, summary, timeout_s=task_timeout_s)


def _record_processes(ray, state_file: Path) -> None:
    """Write the PIDs of the private instance's processes, so a later run can end them if we are killed."""
    node = ray._private.worker._global_node
    pids = sorted({info.process.pid for infos in node.all_processes.values() for info in infos if info.process})
    state_file.write_text(json.dumps({"pids": pids, "session_dir": node.get_session_dir_path()}))


def reap_stray_processes(state_file: Path) -> list[int]:
    """End the Ray processes a killed earlier run left behind (listed in ``state_file``); return their PIDs."""
    try:
        recorded = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return []
    ended = []
    for pid in recorded.get("pids", []):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # already gone
        if b"ray" in cmdline:  # never signal a recycled PID that now belongs to something else
            try:
                os.kill(pid, signal.SIGKILL)
                ended.append(pid)
            except ProcessLookupError:
                pass
    state_file.unlink(missing_ok=True)
    return ended


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data is a separate extra of ray
    except ImportError as exc:
        raise BenchmarkError(
            "The ray engine needs Ray Data: pip install 'veracity[ray]' (or: pip install 'ray[data]')."
        ) from exc
    return ray


def _init_ray(ray, workers: int, address: str | None, device: str) -> bool:
    """Connect to ``address`` (or RAY_ADDRESS), or start a private local instance; True if started here."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")
    common = {"log_to_driver": False, "logging_level": logging.ERROR, "include_dashboard": False}
    target = address or os.environ.get("RAY_ADDRESS")
    if ray.is_initialized():
        return False
    if target:  # an existing cluster's workers get our settings through the job's runtime environment
        ray.init(address=target, runtime_env={"env_vars": _WORKER_ENV}, **common)
        return True
    # Workers of a private instance inherit the environment its processes start with. A runtime_env would
    # do the same but costs ~2.5 s here: Ray then starts fresh workers instead of its prestarted ones.
    with _environment(_WORKER_ENV):
        ray.init(
            address="local",
            num_cpus=workers + 1,  # headroom: read tasks need a CPU the actors do not hold
            num_gpus=1 if device == "cuda" else 0,
            object_store_memory=_OBJECT_STORE_BYTES,
            **common,
        )
    return True


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Set ``variables`` in os.environ for the duration of the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _iterate(
    ray, tasks: list[str], settings: ScanSettings, workers: int, rows: int, timeout_s: float | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.max_errored_blocks = -1  # a crashed actor drops its block; we rescan the missing files after
    blocks = max(1, -(-len(tasks) // rows))
    workers = min(workers, blocks)  # more actors than blocks would idle (and Ray warns)
    dataset = ray.data.from_items([{"path": os.fsencode(path)} for path in tasks], override_num_blocks=blocks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ray 2.60 warns on restart/retry caps it still honours
        dataset = _map(dataset, settings, workers, rows, ray, timeout_s)
    for row in dataset.iter_rows():
        yield os.fsdecode(bytes(row["path"])), json.loads(row["record"])


def _map(dataset, settings: ScanSettings, workers: int, rows: int, ray, timeout_s: float | None):
    return dataset.map_batches(
        _ScanActor,
        fn_constructor_args=(settings, timeout_s),
        batch_size=rows,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
        num_gpus=1 if settings.device == "cuda" else 0,
        max_restarts=0,
        max_task_retries=0,
    )

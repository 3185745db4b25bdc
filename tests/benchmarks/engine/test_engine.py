"""The batch engine: results stream back, a dying or hanging worker costs only its own task."""

from __future__ import annotations

import io

import pytest

from tests.benchmarks.engine import engine_work
from veracity.benchmarks.engine.pool import Engine, FailureKind
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchmarkError


@pytest.mark.slow
def test_dead_and_hung_workers_cost_only_their_task():
    progress_stream = io.StringIO()
    engine = Engine(
        engine_work.work,
        init=engine_work.init,
        init_args=(10,),
        workers=2,
        task_timeout_s=3,
        progress=Progress(10, "t", stream=progress_stream),
    )
    results = {r.task_id: r for r in engine.map((i, i) for i in range(10))}
    assert sorted(results) == list(range(10))
    assert {i: r.value for i, r in results.items() if r.error is None} == {
        i: i * 10 for i in range(10) if i not in (3, 5, 7)
    }
    assert results[3].failure.kind == FailureKind.WORKER_DIED and "exit code 9" in results[3].error
    assert results[5].failure.kind == FailureKind.RAISED and results[5].error.startswith("ValueError: bad five")
    assert results[7].failure.kind == FailureKind.TIMED_OUT and "timed out after 3 s" in results[7].error
    stats = engine.stats.to_dict()
    assert stats["n_tasks"] == 10 and stats["n_failed_tasks"] == 3 and stats["n_worker_deaths"] == 2
    assert stats["worker_peak_rss_mb"] > 0 and stats["task_ms_p95"] >= stats["task_ms_p50"]
    assert "[t] 10/10 files" in progress_stream.getvalue()


def test_inline_mode_same_results():
    engine = Engine(lambda p, c: p + c, init=lambda: 1, workers=0)
    assert [(r.task_id, r.value) for r in engine.map((i, i) for i in range(4))] == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_failing_initialisation_is_an_error_not_a_hang():
    engine = Engine(engine_work.work, init=engine_work.failing_init, workers=1)
    with pytest.raises(BenchmarkError, match="could not start: RuntimeError: no model here"):
        list(engine.map([(0, 1)]))

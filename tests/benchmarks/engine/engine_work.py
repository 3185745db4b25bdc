"""Units of work for the engine tests (top-level so spawned workers can import them)."""

from __future__ import annotations

import os
import time


def init(factor: int) -> int:
    return factor


def work(payload: int, factor: int) -> int:
    if payload == 3:
        os._exit(9)  # a hard crash, like a segfault or an OOM kill: no exception, no cleanup
    if payload == 5:
        raise ValueError("bad five")
    if payload == 7:
        time.sleep(30)
    return payload * factor


def failing_init() -> None:
    raise RuntimeError("no model here")

"""Peak memory of a process, as the engine, scans and benchmarks report it."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a worker would report its parent's peak; the
    memory map's own high-water mark (``VmHWM``) starts afresh in each process. ``ru_maxrss`` is the
    fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

"""Exit codes shared by every command (STYLE.md §7)."""

from __future__ import annotations

OK = 0
ERROR = 1  # a library error, or any file of a batch could not be analysed
USAGE = 2  # Click's own code for bad options
FAIL_ON = 3  # --fail-on LABEL matched; never used for errors


def batch_exit_code(*, errors: int, matched: int) -> int:
    """Exit code after a batch: errors win over a --fail-on match, since an incomplete run cannot pass a gate."""
    if errors:
        return ERROR
    if matched:
        return FAIL_ON
    return OK

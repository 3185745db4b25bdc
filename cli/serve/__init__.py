"""The HTTP service of ``veracity serve``: the ``/v1`` API, worker processes, and the web page.

Names load on first use, so importing this package (as the worker processes do) does not load FastAPI.
"""

from veracity._lazy import lazy_exports

_EXPORTS = {
    "ApiKeys": "veracity.cli.serve.auth",
    "ServeSettings": "veracity.cli.serve.settings",
    "WorkerSettings": "veracity.cli.serve.settings",
    "create_app": "veracity.cli.serve.app",
    "run_server": "veracity.cli.serve.server",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

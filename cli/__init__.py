"""Front ends: the ``veracity`` command line (and later the HTTP service). Thin layers over the libraries."""

from veracity.cli.main import main

__all__ = ["main"]

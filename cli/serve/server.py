"""Run the service with uvicorn until interrupted."""

from __future__ import annotations

import ipaddress
import logging

from veracity.cli.serve.settings import ServeSettings

log = logging.getLogger("veracity.serve")


def run_server(settings: ServeSettings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``settings`` on ``host:port`` (blocks until SIGINT or SIGTERM).

    Args:
        settings: workers, limits, keys and CORS (see `ServeSettings`).
        host: the address to bind; loopback unless the operator chooses otherwise.
        port: the TCP port.
    """
    import uvicorn

    from veracity.cli.serve.app import create_app
    from veracity.cli.serve.logs import configure_logging

    configure_logging()
    fields = {"event": "starting", "host": host, "port": port, **settings.to_dict()}
    log.info("veracity serve starting", extra={"fields": fields})
    if not is_loopback(host):
        log.warning(
            "serving beyond this machine: put a TLS reverse proxy in front, and consider --api-keys",
            extra={"fields": {"event": "not_loopback", "host": host, "api_keys": bool(settings.api_keys)}},
        )
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,  # configure_logging has set up JSON logs
        access_log=False,  # ours, without query strings, is in logs.AccessLogMiddleware
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

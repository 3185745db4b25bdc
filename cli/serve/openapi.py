"""The OpenAPI document and its interactive docs, both generated from the code and served offline.

FastAPI writes the document from the routes and pydantic models; reports are described by the same
versioned JSON Schema that ``veracity check --format json`` follows (``provenance/schemas/``), copied into
the document's components so there is one definition. The docs page loads Swagger UI from the files
bundled with the ``swagger-ui-py`` package, not from a CDN, so it works without a network.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

REPORT_PREFIX = "VeracityReport"
#: References to the report schema in route declarations.
REPORT_REF = {"$ref": f"#/components/schemas/{REPORT_PREFIX}"}
ERROR_RECORD_REF = {"$ref": f"#/components/schemas/{REPORT_PREFIX}_error"}


def report_components() -> dict[str, Any]:
    """The report JSON Schema as OpenAPI components: ``VeracityReport`` and ``VeracityReport_<def>``."""
    from veracity.provenance.report import load_report_schema

    schema = load_report_schema()

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (
                    f"#/components/schemas/{REPORT_PREFIX}_{value.removeprefix('#/$defs/')}"
                    if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
                    else rewrite(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    components = {f"{REPORT_PREFIX}_{name}": rewrite(body) for name, body in schema.get("$defs", {}).items()}
    top = {key: value for key, value in schema.items() if key not in ("$defs", "$schema", "$id")}
    components[REPORT_PREFIX] = rewrite(top)
    return components


def install_openapi(app: FastAPI) -> None:
    """Serve ``/openapi.json`` with the report schema included, and Swagger UI at ``/docs`` from local files."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document.setdefault("components", {}).setdefault("schemas", {}).update(report_components())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi
    static = resources.files("swagger_ui").joinpath("static")
    app.mount("/docs/static", StaticFiles(directory=str(static)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="openapi.json",
            title=f"{app.title}: API docs",
            swagger_js_url="docs/static/swagger-ui-bundle.js",
            swagger_css_url="docs/static/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

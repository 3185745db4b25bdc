"""Shared test fixtures: paths to ../shared, the report schema validator, images made on the fly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jsonschema
import pytest

from tests.paths import SHARED
from veracity.provenance.report import load_report_schema

TORCH_MARK = "pytestmark = pytest.mark.torch"


def pytest_ignore_collect(collection_path, config):
    """Leave torch test modules uncollected (importing torch costs seconds) when the run excludes them
    (``-m "not torch"``, as ``make test-fast`` does) or torch is not installed (the light runtime)."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    excluded = "not torch" in (config.option.markexpr or "") or importlib.util.find_spec("torch") is None
    if excluded and TORCH_MARK in collection_path.read_text(encoding="utf-8"):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    if not SHARED.is_dir():
        skip = pytest.mark.skip(reason=f"shared fixtures not found at {SHARED}")
        for item in items:
            if "shared" in item.fixturenames or item.get_closest_marker("shared"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only shared folder beside the repository (fixtures and data, used in place)."""
    return SHARED


@pytest.fixture(scope="session")
def report_validator() -> jsonschema.protocols.Validator:
    schema = load_report_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema)


@pytest.fixture(scope="session")
def validate_record(report_validator):
    """Validate a report or error record (object or dict) against the versioned JSON Schema."""

    def validate(record) -> dict:
        data = record if isinstance(record, dict) else record.to_dict()
        errors = sorted(report_validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        return data

    return validate


@pytest.fixture(autouse=True)
def every_record_is_schema_valid(monkeypatch, report_validator):
    """Validate every Report and ErrorRecord the suite builds, not only those a test checks explicitly."""
    from veracity.provenance.report import ErrorRecord, Report

    def check(record) -> None:
        errors = list(report_validator.iter_errors(record.to_dict()))
        assert not errors, f"{type(record).__name__} violates the schema: {errors[0].message}"

    monkeypatch.setattr(Report, "__post_init__", check, raising=False)
    monkeypatch.setattr(ErrorRecord, "__post_init__", check, raising=False)


@pytest.fixture
def real_fake_dataset(tmp_path) -> Path:
    """A small labelled dataset: camera-like JPEG reals in ``real/``, upsampled PNG fakes in ``fake/<generator>/``."""
    from tests.images import make_real_fake

    return make_real_fake(tmp_path / "data")

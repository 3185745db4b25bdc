"""Every registered detector, built-in or plugin, keeps the contract of what it declares it can do."""

from __future__ import annotations

import pytest

from tests.detector.contract import check_contract
from veracity.detector.capabilities import Capability, undeclared_methods
from veracity.detector.registry import list_detectors


@pytest.mark.parametrize("name", list_detectors())
def test_registered_detector_keeps_its_contract(name, tmp_path):
    check_contract(name, tmp_path)


def test_every_capability_is_exercised_by_some_builtin(tmp_path):
    seen = set().union(*(check_contract(name, tmp_path / name) for name in list_detectors()))
    assert seen == set(Capability)


def test_a_declared_but_missing_capability_is_caught():
    class Liar:
        capabilities = frozenset({Capability.FIT})

    assert undeclared_methods(Liar()) == ["fit"]

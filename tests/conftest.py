"""Shared fixtures and the `--update-golden` flag for golden-file tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import tracer
from tracer.evaluation import Trace

# CI runs the property and fuzz tests with a fixed budget and fixed examples: a red CI run is
# reproducible, and a green one is not luck. Locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current renderer instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def seed() -> Trace:
    return tracer.trace(tracer.example_spec("seed"))


@pytest.fixture(scope="session")
def seed_sequential() -> Trace:
    return tracer.trace(tracer.example_spec("seed-sequential"))

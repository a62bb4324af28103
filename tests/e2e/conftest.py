"""Browser tests run in the system Chromium. With E2E=1 (CI) they are mandatory: a missing
browser fails them instead of skipping."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("E2E") == "1" or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (set E2E=1 to make this an error)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)

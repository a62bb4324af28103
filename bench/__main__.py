"""`make bench`: run every benchmark module and write JSON lines to bench/results.json.

Each figure is one line `{"name": …, "value": …, "unit": …}`; a rerun replaces the lines of
the names it measures and keeps the others. BENCH_SCALE (default 1) scales the data sizes.
Run on PostgreSQL (`make bench` starts the throwaway cluster from .ci/services.sh); on the
embedded SQLite the figures are printed but are not the ones the targets speak of.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # the settings module must be chosen first

django.setup()

RESULTS = Path(__file__).resolve().parent / "results.json"
MODULES = [
    "bench.accounts_list",
    "bench.health",
    "bench.retention",
    "bench.my_day",
    "bench.lifecycle",
    "bench.sla",
]


def main(argv: list[str]) -> int:
    from django.db import connection

    wanted = [m for m in MODULES if not argv or any(a in m for a in argv)]
    print(f"database: {connection.vendor}; BENCH_SCALE={os.environ.get('BENCH_SCALE', '1')}")
    figures: dict[str, dict] = {}
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                figures[row["name"]] = row
    for name in wanted:
        module = importlib.import_module(name)
        for figure in module.run():
            figures[figure["name"]] = figure
            print(f"{figure['name']:<40} {figure['value']:>12} {figure['unit']}")
    RESULTS.write_text("".join(json.dumps(row) + "\n" for row in figures.values()))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

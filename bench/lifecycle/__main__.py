"""`python -m bench.lifecycle --evaluate-child <slug>`: one first evaluation in a fresh
process, for its peak RSS (bench/lifecycle/measure.py starts it)."""

import os
import sys

if len(sys.argv) == 3 and sys.argv[1] == "--evaluate-child":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    from bench.lifecycle.measure import _evaluate_child

    _evaluate_child(sys.argv[2])

"""Benchmarks run with `nox -s bench` (or `pytest benchmarks --benchmark-only`)."""

import sys
from pathlib import Path

# The shared helpers in speed.py, importable from every benchmark module.
sys.path.insert(0, str(Path(__file__).parent))

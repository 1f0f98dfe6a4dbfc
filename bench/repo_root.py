"""Imported first by the benchmarks that reuse the tests' fakes and fixtures (`tests.*`): a script's
own folder is what Python puts on sys.path, so the repository root is added here, once."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

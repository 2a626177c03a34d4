"""Run folders and atomic file writes.

Every file is written to a temporary name in the same folder and moved into place, so an
interrupted run never leaves a half-written file that looks complete. `summary.json` is written
last: a run folder without it is not a finished run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def default_run_dir(scenario_name: str, root: Path = Path("runs")) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario_name).strip("-") or "run"
    path = root / f"{safe}-{stamp}"
    k = 1
    while path.exists():
        k += 1
        path = root / f"{safe}-{stamp}-{k}"
    return path


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` then move the temporary file onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dt.date | pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _finite(obj: Any) -> Any:
    """Replace non-finite floats (inf capacities, NaN) by None so the JSON stays standard."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def write_json(obj: Any, path: Path) -> Path:
    text = json.dumps(_finite(obj), indent=2, default=_json_default, allow_nan=False)
    return write_text(text + "\n", path)

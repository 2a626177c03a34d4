"""Which resolved scenario keys differ between runs (and whether the data extract differs)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

MISSING = "(not set)"
NOT_RECORDED = "(not recorded)"
FINGERPRINT_KEY = "(dataset fingerprint)"


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key paths of a nested scenario: plan.horizon_weeks, whatif[0].supplier, ...

    Empty dicts and lists, and None, have no keys: `whatif: []` against one modifier shows as
    the modifier's keys being set in one run and not in the other.
    """
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(obj, list) and (not obj or any(isinstance(v, dict | list) for v in obj)):
        out = {}
        for i, value in enumerate(obj):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    if obj is None:
        return {}
    return {prefix: obj}


def _show(value: Any) -> str:
    if value is MISSING:
        return MISSING
    if isinstance(value, str):
        return value
    return json.dumps(value)


def scenario_differences(
    scenarios: dict[str, dict[str, Any]], fingerprints: dict[str, str | None] | None = None
) -> pd.DataFrame:
    """One row per key whose value is not the same in every run: `key`, then one column per
    run label (values as text; `(not set)` where the run lacks the key).

    With `fingerprints`, a `(dataset fingerprint)` row is added when two runs name different
    data extracts (a run that did not record its fingerprint is no difference by itself).
    """
    labels = list(scenarios)
    flat = {label: flatten(s) for label, s in scenarios.items()}
    keys: list[str] = []
    for label in labels:
        for key in flat[label]:
            if key not in keys:
                keys.append(key)
    rows = []
    for key in keys:
        values = [flat[label].get(key, MISSING) for label in labels]
        shown = [_show(v) for v in values]
        if len(set(shown)) > 1:
            rows.append([key, *shown])
    if fingerprints is not None:
        prints = [fingerprints.get(label) for label in labels]
        if len({p for p in prints if p}) > 1:  # two runs on different data extracts
            rows.append([FINGERPRINT_KEY, *(p[:12] if p else NOT_RECORDED for p in prints)])
    return pd.DataFrame(rows, columns=["key", *labels])

"""Suite-wide fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_run_history(tmp_path_factory, monkeypatch):
    """Runs recorded by tests go to a temporary history, never to the checkout's runs/ folder.

    Tests of the history itself set or clear PLANNER_HISTORY on top of this.
    """
    db = tmp_path_factory.getbasetemp() / "history.duckdb"
    monkeypatch.setenv("PLANNER_HISTORY", str(db))

"""The README's data reference is generated from the schema, and its commands are the real ones."""

import os
import re
from pathlib import Path

from planner.data.schema import markdown_reference

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- data-reference:start -->", "<!-- data-reference:end -->"


def test_data_reference_matches_the_schema():
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    body, tail = rest.split(END, 1)
    expected = "\n" + markdown_reference().strip() + "\n"
    if os.environ.get("PLANNER_UPDATE_README") == "1":
        README.write_text(head + START + expected + END + tail, encoding="utf-8")
        body = expected
    assert body == expected, (
        "README data reference is stale: PLANNER_UPDATE_README=1 pytest tests/test_readme.py"
    )


def test_ci_runs_exactly_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", README.read_text(encoding="utf-8"), flags=re.S)
    install_and_plan, install_and_test = blocks[0].strip(), blocks[1].strip()
    assert "planner plan scenarios/demo.yaml" in install_and_plan
    assert "pytest" in install_and_test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci

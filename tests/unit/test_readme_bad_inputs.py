"""The README's count of bad inputs tried is the number of catalogue cases pytest collects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Every case of these refuses one invalid input and checks that nothing was changed or written.
PLAYBOOK_CASES = [
    "tests/playbooks/test_bad_input.py",
    "tests/playbooks/test_canary.py::test_invalid_weight_fails_before_any_aws_call",
]
API_CASES = ["app/tests/test_bad_requests.py::test_bad_request_is_refused_with_json_and_writes_nothing"]
README_LINE = re.compile(r"\*\*(\d+) bad inputs\*\* \((\d+) playbook runs, (\d+) API requests\)")


def collected(node_ids: list[str]) -> int:
    # app/tests has its own pytest settings (app/pyproject.toml), so each layer is collected on its own.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *node_ids],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return sum(1 for line in run.stdout.splitlines() if "::" in line)


def test_readme_counts_the_bad_inputs_the_tests_try() -> None:
    playbook, api = collected(PLAYBOOK_CASES), collected(API_CASES)
    assert playbook > 0 and api > 0
    match = README_LINE.search((REPO / "README.md").read_text())
    assert match, "README.md's Reliability section lacks the line '**N bad inputs** (P playbook runs, A API requests)'"
    assert tuple(int(n) for n in match.groups()) == (playbook + api, playbook, api), (
        f"README.md is stale: write **{playbook + api} bad inputs** ({playbook} playbook runs, {api} API requests)"
    )

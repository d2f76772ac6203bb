"""tools/scan-secrets (run by tools/lint) fails on a secret in a project file, and its allowances are narrow."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCAN = REPO / "tools" / "scan-secrets"

# AWS's documented example key pair, joined at run time so this file itself holds no key-shaped string.
FAKE_KEY_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"
# Its name alone matches the keyword rule; the value is published in AWS docs and opens nothing.
FAKE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"  # pragma: allowlist secret


def scan(tree: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    for name, text in files.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return subprocess.run([str(SCAN), str(tree)], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("roles/x/defaults/main.yml", f"x_key_id: {FAKE_KEY_ID}\n", "AWS Access Key"),
        ("app/settings.py", f'aws_secret_access_key = "{FAKE_SECRET_KEY}"\n', "AWS Access Key"),
        # The "testing" allowance is for that exact value only, not for any secret under the same key.
        ("inventories/x/group_vars/all.yml", "aws_secret_key: hunter2hunter2\n", "Secret Keyword"),
    ],
    ids=["key-id", "secret-key", "keyword-not-testing"],
)
def test_a_secret_in_a_project_file_fails_the_scan(tmp_path: Path, name: str, text: str, kind: str) -> None:
    run = scan(tmp_path, {"README.md": "clean\n", name: text})
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"Location:    {name}:1" in run.stdout
    assert kind in run.stdout


def test_the_emulator_credentials_and_marked_fixtures_pass(tmp_path: Path) -> None:
    files = {
        "inventories/local/group_vars/all.yml": "aws_access_key: testing\naws_secret_key: testing\n",
        "tests/fixture.py": 'PASSWORD = "s3cr3t"  # pragma: allowlist secret\n',
    }
    run = scan(tmp_path, files)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ignored_and_git_folders_are_not_scanned(tmp_path: Path) -> None:
    secret = f"key: {FAKE_KEY_ID}\n"
    files = {".gitignore": "build/\n.venv/\n", "build/out.txt": secret, ".venv/lib/x.py": secret, "ok.txt": "ok\n"}
    run = scan(tmp_path, files)
    assert run.returncode == 0, run.stdout + run.stderr
    # The same text outside the ignored folders is found: the pass above is the ignore rule, not a blind scan.
    (tmp_path / "src.txt").write_text(secret)
    again = subprocess.run([str(SCAN), str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1
    assert "src.txt:1" in again.stdout

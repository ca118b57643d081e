"""The import layers (pyproject.toml, docs/architecture.md) hold, and breaking one is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root / "plugins"), str(root / "include"), str(root)])}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def _copy_project(target: Path) -> Path:
    for name in ("plugins", "include", "auth_server", "api_server", "dags"):
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_project_keeps_every_layering_contract():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def _lint_with(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """Lint a copy of the project with one line added to a module."""
    root = _copy_project(tmp_path)
    path = root / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    return _lint(root)


def test_an_import_running_back_up_the_layers_fails_the_check(tmp_path):
    done = _lint_with(tmp_path, "plugins/spotify_etl/storage/keys.py",
                      "from spotify_etl.analytics import daily")
    assert done.returncode != 0
    assert "spotify_etl.storage.keys -> spotify_etl.analytics.daily" in done.stdout


def test_the_core_importing_the_sandbox_fails_the_check(tmp_path):
    done = _lint_with(tmp_path, "plugins/spotify_etl/spotify/client.py", "import spotify_sandbox")
    assert done.returncode != 0 and "spotify_etl.spotify.client -> spotify_sandbox" in done.stdout


def test_concerts_reaching_into_analytics_beyond_top_lists_fails_the_check(tmp_path):
    done = _lint_with(tmp_path, "plugins/spotify_etl/concerts/bins.py",
                      "from spotify_etl.analytics import taste_match")
    assert done.returncode != 0
    assert "spotify_etl.concerts.bins -> spotify_etl.analytics.taste_match" in done.stdout

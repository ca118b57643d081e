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


def test_an_import_running_back_up_the_layers_fails_the_check(tmp_path):
    root = _copy_project(tmp_path)
    keys = root / "plugins/spotify_etl/storage/keys.py"
    keys.write_text(keys.read_text() + "\nfrom spotify_etl.analytics import daily  # noqa\n")
    done = _lint(root)
    assert done.returncode != 0
    assert "spotify_etl.storage.keys -> spotify_etl.analytics.daily" in done.stdout


def test_the_core_importing_the_sandbox_fails_the_check(tmp_path):
    root = _copy_project(tmp_path)
    client = root / "plugins/spotify_etl/spotify/client.py"
    client.write_text(client.read_text() + "\nimport spotify_sandbox  # noqa\n")
    done = _lint(root)
    assert done.returncode != 0 and "spotify_etl.spotify.client -> spotify_sandbox" in done.stdout


def test_concerts_reaching_into_analytics_beyond_top_lists_fails_the_check(tmp_path):
    root = _copy_project(tmp_path)
    bins = root / "plugins/spotify_etl/concerts/bins.py"
    bins.write_text(bins.read_text() + "\nfrom spotify_etl.analytics import taste_match  # noqa\n")
    done = _lint(root)
    assert done.returncode != 0
    assert "spotify_etl.concerts.bins -> spotify_etl.analytics.taste_match" in done.stdout

"""Long-running child processes of local tooling: started in a session of their own, their
output in a log file, stopped with everything they started.

Airflow's task supervisor puts each task in a process group of its own, so a group signal
does not reach every process a component started; stopping and killing here walk the
process tree as well (psutil, which Airflow itself depends on).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import psutil

# A terminal's Ctrl-C, then a firmer request, then no request at all.
POLITE_STOP = ((signal.SIGINT, 15.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0))


class ChildProcess:
    """One command run in a session of its own, writing stdout and stderr to `log_path`."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.stopped = False  # stopped or killed on purpose (not dead by itself)
        self._log_file = None

    def start(self) -> ChildProcess:
        """Start the command (appending to its log)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log_path.open("ab")
        self.stopped = False
        self.process = subprocess.Popen(
            self.argv, cwd=str(self.cwd) if self.cwd else None, env=self.env,
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        """Tell whether the command itself still runs."""
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process else None

    def descendants(self) -> list[psutil.Process]:
        """The command and every process below it that is still alive."""
        if self.process is None:
            return []
        try:
            leader = psutil.Process(self.process.pid)
            return [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the command and everything it started at once, as a dying machine would."""
        self.stopped = True
        self._signal_all(self.descendants(), signal.SIGKILL)
        self._reap(5)
        self._close_log()

    def stop(self, steps: Iterable[tuple[int, float]] = POLITE_STOP) -> None:
        """Ask the command's process group to stop, step by step; kill what is left."""
        if self.process is None:
            return
        self.stopped = True
        seen = {p.pid: p for p in self.descendants()}
        for sig, wait in steps:
            seen.update({p.pid: p for p in self.descendants()})
            alive = [p for p in seen.values() if _alive(p)]
            if not alive:
                break
            if sig == signal.SIGKILL:
                self._signal_all(alive, sig)
            else:
                try:
                    os.killpg(self.process.pid, sig)  # the session's group, like a terminal
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(_alive(p) for p in seen.values()):
                self.process.poll()  # reap the leader so that it does not linger as a zombie
                time.sleep(0.2)
        self._reap(1)
        self._close_log()

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"({self.name}: no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _signal_all(self, processes: list[psutil.Process], sig: int) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for process in processes:
            try:
                process.send_signal(sig)
            except psutil.NoSuchProcess:
                pass

    def _reap(self, timeout: float) -> None:
        if self.process is not None:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

"""The app's server (`python -m dashboard serve`) on a private database and a free port, and Debian's chromium's
flags: one home for the browser tests (tests/browser/conftest.py) and the browser benchmark (benchmarks/browser.py).
Imports no pytest."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """The app as `make run` starts it (`python -m dashboard serve`: streamlit run app.py with the pages' code loaded
    first) on its own database file and port, ready (health check answered) when made."""

    def __init__(self, db_path: Path, upload_dir: Path, start_timeout_s: float = 60) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        env = {
            **os.environ,
            "CXLENS_DB": str(db_path),
            "CXLENS_UPLOAD_DIR": str(upload_dir),
            "CXLENS_NO_SAMPLE": "1",
        }
        self.log = open(db_path.parent / "streamlit.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--server.port", str(self.port), "--server.headless", "true"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + start_timeout_s
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start within {start_timeout_s:.0f} s")

    def cpu_s(self) -> float:
        """The server process's user + system CPU seconds so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mb(self) -> float:
        """The server's peak resident set size in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def start_server(source_db: Path | None, folder: Path, start_timeout_s: float = 60) -> AppServer:
    """A server on a private copy of source_db (or an empty database) in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "cxlens.duckdb"
    if source_db is not None:
        shutil.copy(source_db, db)
    return AppServer(db, folder / "uploads", start_timeout_s)

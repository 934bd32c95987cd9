"""`python -m dashboard serve` (what `make run` starts): streamlit run app.py with every page's code imported before the
server listens. The browser tests start every server this way (tests/browser/server.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dashboard.ui import serve

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "dashboard" / "ui" / "views"


def test_preload_imports_the_code_of_every_page():
    names = set(serve.preload())
    on_disk = {
        "dashboard.ui.views." + ".".join(path.relative_to(VIEWS).with_suffix("").parts).removesuffix(".__init__")
        for path in VIEWS.rglob("*.py")
    } - {"dashboard.ui.views.__init__"}
    assert on_disk <= names, on_disk - names
    assert all(name in sys.modules for name in names)


def test_serve_hands_its_options_to_streamlit_run_and_logs_no_runtime_warning():
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: streamlit run")
    assert "--server.port" in done.stdout
    assert "No runtime found" not in done.stdout + done.stderr

"""`python -m dashboard serve [streamlit options]`: `streamlit run app.py` with every page's code imported before the
server listens, so the first visitor after a start does not wait for it (on this machine about 0.7 s of imports for
the Overview and 1.5 s more for the other pages, paid once per process)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def preload() -> list[str]:
    """Import every module of the pages' views (dashboard.ui.views and what it imports); their names."""
    from dashboard.ui import views

    # a cached function made before the server exists validates its limits without it, and says so: harmless here (its
    # cache is made in the server's storage when first called), so not logged
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    no_runtime = _Without("No runtime found")
    quiet.addFilter(no_runtime)
    try:
        names = [module.name for module in pkgutil.walk_packages(views.__path__, f"{views.__name__}.")]
        for name in names:
            importlib.import_module(name)
    finally:
        quiet.removeFilter(no_runtime)
    return names


class _Without(logging.Filter):
    """Drops log records whose message starts with prefix."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def run(options: list[str]) -> int:
    """Preload, then `streamlit run app.py` with options (e.g. --server.port 8501) in this process."""
    preload()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *options]
    return cli.main(prog_name="streamlit")

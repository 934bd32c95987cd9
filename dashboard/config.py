"""Paths and settings read from the environment, with defaults relative to the project."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
SAMPLE_DATASET = "sample"


def database_path() -> Path:
    """The DuckDB file: $CXLENS_DB, else data/cxlens.duckdb."""
    return Path(os.environ.get("CXLENS_DB", DATA_DIR / "cxlens.duckdb")).resolve()


def upload_dir() -> Path:
    """Folder for uploaded files: $CXLENS_UPLOAD_DIR, else a cxlens-uploads folder in the temp dir."""
    default = Path(tempfile.gettempdir()) / "cxlens-uploads"
    path = Path(os.environ.get("CXLENS_UPLOAD_DIR", default)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def autoload_sample() -> bool:
    """Whether the app publishes the bundled sample into an empty database ($CXLENS_NO_SAMPLE=1 turns it off)."""
    return os.environ.get("CXLENS_NO_SAMPLE", "") not in ("1", "true", "yes")


DEFAULT_MEMORY_LIMIT = "2GB"
"""DuckDB's memory ceiling when $CXLENS_MEMORY_LIMIT is not set: past it a publish spills to the temporary folder
instead of growing (DuckDB's own default is 80 % of the machine's memory, and a 1,000,000-customer publish then
peaked at 7 to 8 GB; 2,500 small versions published in one process held 13 GB of cached blocks)."""


def memory_limit() -> str:
    """DuckDB's memory_limit for the dashboard's database: $CXLENS_MEMORY_LIMIT (e.g. "3GB"), else DEFAULT_MEMORY_LIMIT."""
    return os.environ.get("CXLENS_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT


def temp_directory(db_path: Path) -> Path:
    """Where DuckDB spills what does not fit in memory_limit: $CXLENS_TEMP_DIR, else <database file>.tmp beside it."""
    configured = os.environ.get("CXLENS_TEMP_DIR", "").strip()
    return Path(configured).resolve() if configured else db_path.with_name(db_path.name + ".tmp")

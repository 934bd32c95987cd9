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

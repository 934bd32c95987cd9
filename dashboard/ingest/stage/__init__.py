"""Staging: files read by DuckDB into typed, checked rows before anything is published (plans, styles, files, tables, rows)."""

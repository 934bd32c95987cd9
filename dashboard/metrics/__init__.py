"""Metric definitions: SQL over a published version, each returning a small DataFrame."""

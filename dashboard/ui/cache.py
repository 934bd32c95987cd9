"""The process's one database connection and cached metric calls keyed on version and spec."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import config, sample
from dashboard.ingest import uploads
from dashboard.metrics import prepared  # noqa: F401  (prepared registers the prepare step publish runs)
from dashboard.store import Store, Version


@st.cache_resource(show_spinner="Opening the database…")
def _open_store(path: str) -> Store:
    """The Store for path: sample published into an empty database, file access restricted; versions built under an
    older prepared schema are left for `python -m dashboard upgrade` (a page says so), never rebuilt on a request."""
    store = Store(path)
    if config.autoload_sample() and not store.dataset_names():
        sample.publish(store)
    store.restrict([config.upload_dir(), config.SAMPLE_DIR])
    uploads.sweep(config.upload_dir())  # once per server process: copies left by earlier processes (killed publishes)
    return store


def get_store() -> Store:
    """The Store of the configured database file (one per process)."""
    return _open_store(str(config.database_path()))


@st.cache_data(max_entries=512, ttl=timedelta(hours=6), show_spinner=False)
def _cached_metric(db_path: str, version_id: int, created_at: str, fn_path: str, spec: Any) -> pd.DataFrame:
    fn = _resolve(fn_path)
    store = _open_store(db_path)
    version = store.version(version_id)
    with store.cursor() as cur:
        return fn(cur, version, spec)


@st.cache_data(max_entries=512, ttl=timedelta(hours=6), show_spinner=False)
def _cached_derived(
    db_path: str, version_id: int, created_at: str, fn_path: str, spec: Any, derive_path: str, args: tuple, kwargs: tuple
) -> pd.DataFrame:
    derive = _resolve(derive_path)
    return derive(_cached_metric(db_path, version_id, created_at, fn_path, spec), *args, **dict(kwargs))


def _resolve(path: str) -> Callable[..., Any]:
    module_name, fn_name = path.split(":")
    return getattr(importlib.import_module(module_name), fn_name)


def _path(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def run_derived(
    derive: Callable[..., pd.DataFrame], fn: Callable[..., pd.DataFrame], version: Version, spec: Any, *args: Any, **kwargs: Any
) -> pd.DataFrame:
    """derive(fn's cached result for version and spec, *args, **kwargs), itself cached on the same keys and on derive
    and its (hashable) arguments: Python work a page does on a cached frame is done once per version and spec, not on
    every rerun (the Defection page's breakdowns and reason curves cost a third of its rerun before)."""
    db = str(get_store().path)
    at = version.created_at.isoformat()
    return _cached_derived(db, version.version_id, at, _path(fn), spec, _path(derive), args, tuple(sorted(kwargs.items())))


@functools.cache
def reads_spec(fn: Callable[..., pd.DataFrame]) -> bool:
    """Whether fn reads its spec: a metric that names it `_spec` does not (a dataset-wide answer, such as what the data
    can tell or its month span), so it is cached on the version alone, never once per filter."""
    parameters = list(inspect.signature(fn).parameters)
    return not (len(parameters) >= 3 and parameters[2] == "_spec")


def run_metric(fn: Callable[..., pd.DataFrame], version: Version, spec: Any = None) -> pd.DataFrame:
    """fn(cursor, version, spec), cached on the database, the version and the frozen spec (never on a frame); on the
    version alone when fn does not read its spec."""
    fn_path = f"{fn.__module__}:{fn.__qualname__}"
    key_spec = spec if reads_spec(fn) else None
    return _cached_metric(str(get_store().path), version.version_id, version.created_at.isoformat(), fn_path, key_spec)


def clear_caches() -> None:
    """Forget cached metric results (after a publish, delete or activate)."""
    _cached_metric.clear()
    _cached_derived.clear()
    from dashboard.metrics.drivers import counts as driver_counts  # here: the drivers package would load with every cold start

    driver_counts.clear_kept()

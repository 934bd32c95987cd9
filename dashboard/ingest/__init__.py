"""Ingest: uploaded extracts read, mapped to the contract, validated and published, for the Data page and the CLI.

Modules, in the order a file goes through them:

- ``sniff``, ``encoding``, ``excel`` (with ``excel_scan``, what is checked before a workbook is opened), ``sources``:
  what a file is (CSV/TSV/pipe, Excel, Parquet, JSON lines), its encoding, delimiter and header; prepared so DuckDB
  reads it by path.
- ``formats``, ``guess``, ``rules``, ``vocab``, ``mapping``: how values are read (identifiers, numbers, dates, yes/no)
  and which formats a column uses, derived columns, labels mapped to the vocabularies, and the mapping itself (JSON for
  templates and the CLI).
- ``joinspec``, ``join``, ``steps``: several files of a table joined on a key; a call log's row split into its steps.
- ``stage`` (``plans``, ``styles``, ``files``, ``tables``, ``rows``): each file read once, converted and checked row by
  row into an in-memory staging database.
- ``validate`` (``files``, ``values``, ``customers``, ``rejected``, ``messages``), ``report``: the validation report
  (blocking problems, warnings, examples with row numbers) and the rejected rows.
- ``pipeline``: ``Upload``, the whole journey from files to a published version, with its parts ``upload_joins``,
  ``upload_steps`` and ``upload_publish``.
- ``templates``: mappings saved per header and applied when the same header comes again.
- ``progress``, ``cli``: progress reporting and ``python -m dashboard ingest``.
"""

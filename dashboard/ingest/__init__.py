"""Ingest: uploaded extracts read, mapped to the contract, validated and published, for the Data page and the CLI.

Modules, in the order a file goes through them:

- ``sniff``, ``encoding``, ``excel``, ``sources``: what a file is (CSV/TSV/pipe, Excel, Parquet, JSON lines),
  its encoding, delimiter and header; prepared so DuckDB reads it by path.
- ``formats``, ``rules``, ``vocab``, ``mapping``: how values are read (identifiers, numbers, dates, yes/no),
  derived columns, labels mapped to the vocabularies, and the mapping itself (JSON for templates and the CLI).
- ``stage``: each file read once, converted and checked row by row into an in-memory staging database.
- ``validate``, ``report``: the validation report (blocking problems, warnings, examples with row numbers).
- ``pipeline``: ``Upload``, the whole journey from files to a published version.
- ``templates``: mappings saved per header and applied when the same header comes again.
- ``progress``, ``cli``: progress reporting and ``python -m dashboard ingest``.
"""

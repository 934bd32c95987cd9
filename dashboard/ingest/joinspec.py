"""How several files of one table come together: joined on a key, or looked up through a key; the "join" key of a mapping.

In a mapping file's table section::

    "join": {
      "key": "customerID",                  # the first file's column the other files match on
      "files": [                            # the second, third ... file, in upload order
        {"key": "CustID"},                  # join: its columns are added; first-file rows without a match keep blanks
        {"key": "Order ID", "on": "OrderID", "how": "lookup"}
                                            # lookup: first-file rows whose OrderID it lacks are rejected
      ],
      "sheets": ["Status", "Services"],     # optional: one workbook, these sheets as the files (first sheet first)
      "duplicates": "block"                 # a key repeated in a joined file blocks; "first": its first row is used
    }

A file left out of "files" is joined on a column named like "key". Columns of a joined file whose name the
table already has are renamed "<name> (<file position>)", e.g. "Date (2)".
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.ingest.errors import IngestError

JOIN, LOOKUP = "join", "lookup"
HOWS = (JOIN, LOOKUP)
DUPLICATE_RULES = ("block", "first")
"""block: a key repeated in a joined or looked-up file stops the publish; first: the first row per key is used."""
_SPEC_KEYS = {"key", "files", "sheets", "duplicates"}
_FILE_KEYS = {"key", "on", "how"}


@dataclass(frozen=True)
class JoinFile:
    """One file after the first: its key column, the first file's column it matches (on; "" = the join key), and how."""

    key: str
    on: str = ""
    how: str = JOIN

    def to_json(self) -> dict:
        """The file's settings as a JSON-ready dict (defaults left out)."""
        return {"key": self.key, **({"on": self.on} if self.on else {}), **({"how": self.how} if self.how != JOIN else {})}


@dataclass(frozen=True)
class JoinSpec:
    """A table's files joined on a key the analyst picks (or sheets of one workbook), with the rule for repeated keys."""

    key: str
    files: tuple[JoinFile, ...] = ()
    sheets: tuple[str, ...] = ()
    duplicates: str = "block"

    def member(self, position: int) -> JoinFile:
        """The settings of the file at position (1 = the second file): as given, or joined on a column named like key."""
        return self.files[position - 1] if position <= len(self.files) else JoinFile(self.key)

    def validate(self, table: str = "") -> JoinSpec:
        """Self when the settings make sense; IngestError naming the one that does not."""
        where = f"{table}: join" if table else "join"
        if not self.key.strip():
            raise IngestError(f'{where}: name the first file\'s key column ("key")')
        for number, file in enumerate(self.files, start=2):
            if not file.key.strip():
                raise IngestError(f'{where}: file {number} needs its key column ("key")')
            if file.how not in HOWS:
                raise IngestError(f"{where}: file {number} has how {file.how!r}; use join or lookup")
        if self.duplicates not in DUPLICATE_RULES:
            raise IngestError(f"{where}: duplicates {self.duplicates!r} must be block or first")
        if self.sheets and len(self.sheets) < 2:
            raise IngestError(f"{where}: sheets lists {len(self.sheets)} sheet; a join needs two or more")
        if self.sheets and len(self.files) > len(self.sheets) - 1:
            raise IngestError(
                f"{where}: files describes {len(self.files)} files after the first but sheets lists only {len(self.sheets)}"
            )
        if len(set(self.sheets)) != len(self.sheets):
            raise IngestError(f"{where}: sheets lists a sheet twice")
        return self

    def to_json(self) -> dict:
        """The spec as a JSON-ready dict."""
        data: dict = {"key": self.key, "files": [f.to_json() for f in self.files], "duplicates": self.duplicates}
        if self.sheets:
            data["sheets"] = list(self.sheets)
        return data

    @classmethod
    def from_json(cls, data: object, table: str = "") -> JoinSpec:
        """A spec from a mapping file's "join" object; IngestError naming the key that is wrong."""
        where = f"mapping for {table}: join" if table else "join"
        if not isinstance(data, dict):
            raise IngestError(f"{where} must be an object with key, files, sheets, duplicates")
        unknown = set(data) - _SPEC_KEYS
        if unknown:
            raise IngestError(f"{where}: unknown keys {sorted(unknown)}; use {', '.join(sorted(_SPEC_KEYS))}")
        key = data.get("key")
        if not isinstance(key, str):
            raise IngestError(f"{where}: key must be the first file's key column name (text)")
        files = data.get("files", [])
        if not isinstance(files, list):
            raise IngestError(f"{where}: files must be a list with one object per file after the first")
        members = []
        for number, item in enumerate(files, start=2):
            if not isinstance(item, dict):
                raise IngestError(f"{where}: file {number} must be an object with key, on, how")
            extra = set(item) - _FILE_KEYS
            if extra:
                raise IngestError(f"{where}: file {number} has unknown keys {sorted(extra)}; use key, on, how")
            values = {k: item.get(k, d) for k, d in (("key", None), ("on", ""), ("how", JOIN))}
            if not all(isinstance(v, str) for v in values.values()):
                raise IngestError(f"{where}: file {number}'s key, on and how must be text")
            members.append(JoinFile(values["key"], values["on"], values["how"]))
        sheets = data.get("sheets", [])
        if not isinstance(sheets, list) or not all(isinstance(s, str) for s in sheets):
            raise IngestError(f"{where}: sheets must be a list of sheet names")
        duplicates = data.get("duplicates", "block")
        if not isinstance(duplicates, str):
            raise IngestError(f"{where}: duplicates must be block or first")
        return cls(key, tuple(members), tuple(sheets), duplicates).validate(table)

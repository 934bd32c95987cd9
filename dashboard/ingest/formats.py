"""Reading values: identifiers, numbers, dates and yes/no flags as SQL over a file's column, in the formats named here
(guess.py works out which of them a column uses).

A file column arrives either as text (CSV, Excel, JSON strings) or already typed (Parquet, JSON numbers).
Each converter returns the SQL of the typed value and of "the cell is blank"; a cell that is not blank
and whose value comes out null could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import contract
from dashboard.sql import Sql, list_contains, list_item, list_position, lit, sql

TEXT, INTEGER, FLOAT, BOOL, DATE, TIMESTAMP, OTHER = "text", "integer", "float", "bool", "date", "timestamp", "other"
TIME, DURATION = "time", "duration"

_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)


def kind_of(duckdb_type: str) -> str:
    """The kind of value a DuckDB column type holds: text, integer, float, bool, date, timestamp, time, duration or other."""
    name = duckdb_type.upper()
    if name == "VARCHAR":
        return TEXT
    if name in _INTEGER_TYPES:
        return INTEGER
    if name in ("DOUBLE", "FLOAT", "REAL") or name.startswith("DECIMAL"):
        return FLOAT
    if name == "BOOLEAN":
        return BOOL
    if name == "DATE":
        return DATE
    if name.startswith("TIMESTAMP"):
        return TIMESTAMP
    if name == "TIME":
        return TIME
    if name == "INTERVAL":
        return DURATION
    return OTHER


TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "f", "no", "n", "off")


@dataclass(frozen=True)
class Converted:
    """SQL for a converted value and for "the source cell is blank"."""

    value: Sql
    blank: Sql


def blank_sql(col: str, kind: str) -> Sql:
    """Whether the cell is empty: null, or text that is only spaces."""
    if kind == TEXT:  # trim only what starts with a space: trimming every value costs a third of a read
        return Sql(f"({col} is null or {col} = '' or (starts_with({col}, ' ') and trim({col}) = ''))")
    return Sql(f"({col} is null)")


# -- text and identifiers ---------------------------------------------------------------------


def text_value(col: str, kind: str) -> Converted:
    """The cell as trimmed text (blank → null); whole floats without ".0"."""
    if kind == TEXT:
        value = Sql(_trimmed(col))
    elif kind == FLOAT:
        value = Sql(
            f"case when {col} = trunc({col}) and abs({col}) < 1e15 then cast(cast({col} as bigint) as varchar) "
            f"else cast({col} as varchar) end"
        )
    elif kind == BOOL:
        value = Sql(f"case when {col} then 'true' when not {col} then 'false' end")
    else:
        value = Sql(f"cast({col} as varchar)")
    return Converted(value, blank_sql(col, kind))


def identifier_value(col: str, kind: str) -> Converted:
    """The cell as an identifier: text, with 17850.0 written as 17850."""
    text = text_value(col, kind)
    if kind != TEXT:
        return text
    value = Sql(
        f"case when contains({col}, '.') then nullif(regexp_replace(trim({col}), '^(-?[0-9]+)\\.0+$', '\\1'), '') "
        f"else {_trimmed(col)} end"
    )
    return Converted(value, text.blank)


def _trimmed(col: str) -> str:
    """SQL of text without surrounding spaces, blank as null (trimming only what needs it: trim costs a third of a read)."""
    return f"case when starts_with({col}, ' ') or ends_with({col}, ' ') then nullif(trim({col}), '') else nullif({col}, '') end"


# -- numbers ----------------------------------------------------------------------------------

DECIMALS = (".", ",")
THOUSANDS = ("", ",", ".", " ", "'")
THOUSANDS_LABELS = {"": "none", ",": "comma (1,234.5)", ".": "dot (1.234,5)", " ": "space (1 234,5)", "'": "apostrophe (1'234.5)"}


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written: the decimal separator and the thousands separator ("" for none)."""

    decimal: str = "."
    thousands: str = ""

    def validate(self) -> NumberStyle:
        """Self when the separators are known and differ; ValueError otherwise."""
        if self.decimal not in DECIMALS or self.thousands not in THOUSANDS or self.decimal == self.thousands:
            raise ValueError(f"unknown number style: decimal {self.decimal!r}, thousands {self.thousands!r}")
        return self

    @property
    def label(self) -> str:
        """How the style is shown: an example number."""
        sample = "1" + (self.thousands or "") + "234" + self.decimal + "56"
        return sample


def _clean_number_text(col: str, style: NumberStyle) -> Sql:
    """The text of a number with thousands separators removed and the decimal separator made a dot."""
    text = Sql(col)
    if style.thousands == " ":
        text = sql("replace(replace(replace({}, ' ', ''), chr(160), ''), chr(8239), '')", text)
    elif style.thousands:
        text = sql("replace({}, {}, '')", text, lit(style.thousands))
    if style.decimal == ",":
        text = sql("replace({}, ',', '.')", text)
    return text


def number_value(col: str, kind: str, style: NumberStyle = NumberStyle()) -> Converted:
    """The cell as a number (double); text read with style, currency signs allowed, durations (H:MM:SS, MM:SS) in seconds;
    yes/no and dates are not numbers."""
    if kind in (INTEGER, FLOAT):
        return Converted(Sql(f"cast({col} as double)"), blank_sql(col, kind))
    if kind in (TIME, DURATION):  # an Excel cell formatted as a time (0:04:05), a Parquet interval: seconds
        return Converted(Sql(f"cast(epoch({col}) as double)"), blank_sql(col, kind))
    if kind != TEXT:
        return Converted(Sql("cast(null as double)"), blank_sql(col, kind))
    cleaned = _clean_number_text(col, style)
    value = sql(
        "coalesce(try_cast({} as double), try_cast(regexp_replace({}, '[\\s$€£¥₹]', '', 'g') as double), "
        + duration_seconds(col)
        + ")",
        cleaned,
        cleaned,
    )
    return Converted(value, blank_sql(col, kind))


def integer_value(col: str, kind: str, style: NumberStyle = NumberStyle()) -> Converted:
    """The cell as a whole number (bigint); a number with a fraction, or beyond bigint (1e308, NaN), cannot be read."""
    number = number_value(col, kind, style)
    value = sql("case when {} = round({}) then try_cast({} as bigint) end", number.value, number.value, number.value)
    return Converted(value, number.blank)


# -- yes/no -----------------------------------------------------------------------------------


def bool_value(col: str, kind: str) -> Converted:
    """The cell as a yes/no flag: Yes/No, Y/N, 1/0, true/false, on/off (any case)."""
    if kind == BOOL:
        return Converted(Sql(col), blank_sql(col, kind))
    if kind in (INTEGER, FLOAT):
        return Converted(Sql(f"case when {col} = 1 then true when {col} = 0 then false end"), blank_sql(col, kind))
    if kind != TEXT:
        return Converted(Sql("cast(null as boolean)"), blank_sql(col, kind))
    word = f"lower(trim({col}))"
    value = sql(
        "case when {} then true when {} then false end",
        list_contains(lit(list(TRUE_WORDS)), Sql(word)),
        list_contains(lit(list(FALSE_WORDS)), Sql(word)),
    )
    return Converted(value, blank_sql(col, kind))


# -- dates ------------------------------------------------------------------------------------

_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p", "T%H:%M", "T%H:%M:%S")
_SEPARATORS = ("/", "-", ".")


def _family(order: str) -> tuple[str, ...]:
    formats = []
    # two-digit years first: "%Y" would read 22-04-15 as the year 15, "%y" cannot read a four-digit year
    for year in ("%y", "%Y"):
        for sep in _SEPARATORS:
            parts = {"day-first": ("%d", "%m", year), "month-first": ("%m", "%d", year), "year-first": (year, "%m", "%d")}[order]
            if order == "year-first" and year == "%y":
                continue
            for time in _TIMES:
                formats.append(sep.join(parts) + time)
    return tuple(formats)


def _two_digit_year_first() -> tuple[str, ...]:
    return tuple(sep.join(("%y", "%m", "%d")) + time for sep in _SEPARATORS for time in _TIMES)


TWO_DIGIT_YEARS = "two-digit years: 00-68 are read as 2000-2068, 69-99 as 1969-1999"
"""The pivot rule for two-digit years (DuckDB's and POSIX strptime's); a misread year falls outside the date window."""

MONTH_NAMES: dict[str, int] = {}
"""Month names and abbreviations (lowercase, without their dot) in English, German, French, Spanish, Italian, Dutch and
Portuguese -> the month's number."""
for _month, _names in enumerate(
    (
        "january jan januar jänner janvier janv enero ene gennaio gen januari janeiro",
        "february feb februar feber février fevrier févr fevr febrero febbraio februari fevereiro fev",
        "march mar märz maerz mär mrz mars marzo maart mrt março marco",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio mag mei maio",
        "june jun juni juin junio giugno giu juno junho",
        "july jul juli juillet juil julio luglio lug julho",
        "august aug août aout agosto ago augustus",
        "september sep sept septembre septiembre setiembre settembre set setembro",
        "october oct oktober okt octobre octubre ottobre ott outubro out",
        "november nov novembre noviembre novembro",
        "december dec dezember dez décembre déc diciembre dic dicembre dezembro",
    ),
    start=1,
):
    for _name in _names.split():
        MONTH_NAMES.setdefault(_name, _month)

_MONTH_NAME_DATES = ("%d-M%m-%y", "%d-M%m-%Y", "M%m-%d-%y", "M%m-%d-%Y", "%Y-M%m-%d")
_MONTH_NAME_TIMES = ("", "-%H:%M", "-%H:%M:%S")


def date_text(order: str, expr: str) -> Sql:
    """SQL of the text that order's formats read: the trimmed cell; for month names, the name made "M<number>" and
    separators (spaces, dots, commas, slashes, dashes) one dash, so "15. Okt 2022" reads as "15-M10-2022"."""
    if order != "month-name":
        return Sql(f"trim({expr})")
    text = Sql(f"regexp_replace(regexp_replace(lower(trim({expr})), '[\\s.,/-]+', '-', 'g'), '(^|-)(de|del|di)(-|$)', '-', 'g')")
    number = list_position(lit(list(MONTH_NAMES)), sql("regexp_extract({}, '\\pL+')", text))
    month = list_item(sql("({})", lit(list(MONTH_NAMES.values()))), number)
    return sql(
        "case when {} is not null then regexp_replace({}, '\\pL+', 'M' || lpad(cast({} as varchar), 2, '0')) end",
        number,
        text,
        month,
    )


DATE_ORDERS = {
    "iso": "ISO (2024-12-31)",
    "day-first": "day first (31/12/2024)",
    "month-first": "month first (12/31/2024)",
    "year-first": "year first with / or . (2024/12/31)",
    "compact": "compact (20241231)",
    "month-name": "with month names (22-Apr-15, 3 mars 2021, 15. Okt 2022)",
    "yy-mm-dd": "two-digit year first (24-12-31)",
}
"""How dates may be written, with the example shown to users."""

DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "iso": (),  # DuckDB's own ISO 8601 reading
    "day-first": _family("day-first"),
    "month-first": _family("month-first"),
    "year-first": _family("year-first"),
    "compact": ("%Y%m%d", "%Y%m%d%H%M%S", "%Y%m%d %H%M%S", "%Y%m%d %H:%M:%S"),
    "month-name": tuple(d + t for d in _MONTH_NAME_DATES for t in _MONTH_NAME_TIMES),
    "yy-mm-dd": _two_digit_year_first(),
}

GUESSED_ORDERS = ("iso", "day-first", "month-first", "year-first", "compact", "month-name", "yy-mm-dd")
"""Orders detection tries. Almost every dd-mm-yy date also reads as yy-mm-dd: when both read a sample, the reading
with clearly fewer distinct years wins (a few months of data span one or two years, not thirty), else the analyst
is asked."""


@dataclass(frozen=True)
class DateStyle:
    """How a column's dates are written: the order's name and the strptime formats tried, in order."""

    order: str = "iso"
    formats: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the style is shown to users."""
        return DATE_ORDERS[self.order]


def timestamp_value(col: str, kind: str, style: DateStyle = DateStyle()) -> Converted:
    """The cell as a timestamp, text read with style (ISO by DuckDB itself, others by their formats)."""
    if kind in (DATE, TIMESTAMP):
        return Converted(Sql(f"cast({col} as timestamp)"), blank_sql(col, kind))
    if kind == INTEGER and style.order == "compact":
        text = f"cast({col} as varchar)"
        return Converted(sql(f"try_strptime({text}, {{}})", lit(list(style.formats))), blank_sql(col, kind))
    if kind != TEXT:
        return Converted(Sql("cast(null as timestamp)"), blank_sql(col, kind))
    if style.order == "iso" or not style.formats:
        return Converted(Sql(f"try_cast({col} as timestamp)"), blank_sql(col, kind))  # DuckDB's cast ignores spaces
    text = date_text(style.order, col)
    return Converted(sql("try_strptime({}, {})", text, lit(list(style.formats))), blank_sql(col, kind))


TIME_FORMATS = ("%I:%M %p", "%I:%M:%S %p", "%I %p", "%H.%M", "%H.%M.%S")
"""Times of day DuckDB's own cast does not read (it reads 14:30 and 14:30:00.5)."""


def time_of_day(col: str, kind: str) -> Converted:
    """The cell as a time of day: 14:30, 14:30:15, 2:30 PM, 14.30; a timestamp's time."""
    if kind == TIME:
        return Converted(Sql(col), blank_sql(col, kind))
    if kind == TIMESTAMP:
        return Converted(Sql(f"cast({col} as time)"), blank_sql(col, kind))
    if kind != TEXT:
        return Converted(Sql(f"try_cast(cast({col} as varchar) as time)"), blank_sql(col, kind))
    value = sql(
        f"coalesce(try_cast(trim({col}) as time), cast(try_strptime(upper(trim({col})), {{}}) as time))",
        lit(list(TIME_FORMATS)),
    )
    return Converted(value, blank_sql(col, kind))


def with_time(stamp: Converted, time: Converted) -> Converted:
    """A date and a time of day in another column as one timestamp (ts = date + time); a blank time keeps the date's own."""
    value = sql("case when {} then {} else cast({} as date) + {} end", time.blank, stamp.value, stamp.value, time.value)
    return Converted(value, stamp.blank)


_DURATION = "'^\\d+:[0-5]\\d(:[0-5]\\d)?$'"


def duration_seconds(col: str) -> str:
    """SQL of a duration written H:MM:SS or MM:SS (spaces around allowed) as a number of seconds; null for anything else."""
    text = f"trim({col})"
    parts = f"string_split({text}, ':')"
    # contains() first: only cells with a colon pay for the pattern (numbers are read at full speed)
    return (
        f"case when contains({col}, ':') then case when regexp_matches({text}, {_DURATION}) then "
        f"case when len({parts}) = 3 then cast({parts}[1] as double) * 3600 + cast({parts}[2] as double) * 60 "
        f"+ cast({parts}[3] as double) else cast({parts}[1] as double) * 60 + cast({parts}[2] as double) end end end"
    )


def date_value(col: str, kind: str, style: DateStyle = DateStyle()) -> Converted:
    """The cell as a date (the day of timestamp_value)."""
    stamp = timestamp_value(col, kind, style)
    return Converted(sql("cast({} as date)", stamp.value), stamp.blank)


def convert(
    col: str, kind: str, target_type: str, *, number: NumberStyle, date: DateStyle, identifier: bool = False
) -> Converted:
    """The cell converted to a contract type (text, number, integer, date, timestamp, boolean)."""
    if target_type == contract.TEXT:
        return identifier_value(col, kind) if identifier else text_value(col, kind)
    if target_type == contract.NUMBER:
        return number_value(col, kind, number)
    if target_type == contract.INTEGER:
        return integer_value(col, kind, number)
    if target_type == contract.DATE:
        return date_value(col, kind, date)
    if target_type == contract.TIMESTAMP:
        return timestamp_value(col, kind, date)
    if target_type == contract.BOOLEAN:
        return bool_value(col, kind)
    raise ValueError(f"unknown contract type {target_type!r}")


# -- detection on a sample of values ----------------------------------------------------------

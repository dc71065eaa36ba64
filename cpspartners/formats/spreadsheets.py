"""CSV in the shape a Google Sheet exports, and CSV out that spreadsheets open safely.

Pure functions over bytes and text: no Flask, no database. Importing happens in two steps:
``parse`` turns an upload into typed rows or row-level problems, and the caller decides what
each valid row would do (create, update, unchanged) before anything is written.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from cpspartners.text import strip_hidden

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


MAX_CELL = 10_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read: say why, and write nothing."""


@dataclass(frozen=True)
class Column:
    """One column an import accepts, and what its cells may hold."""

    name: str
    kind: str = "text"  # text | int | date | bool | choice | list
    required: bool = False
    max_length: int = 500
    choices: tuple = ()
    low: int = None
    high: int = None


@dataclass
class Row:
    """One parsed line of an upload."""

    number: int  # the line in the spreadsheet, header = 1
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def decode(raw):
    """UTF-8 text from an upload, with or without a BOM; anything else is a clear error."""
    if not raw or not raw.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in raw[:4096]:
        raise ImportFileError("This does not look like a CSV file (it contains binary data).")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        bad = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(number)
        shown = ", ".join(str(n) for n in bad[:10]) + (" and more" if len(bad) > 10 else "")
        raise ImportFileError(
            "The file is not all UTF-8 (lines %s). In Google Sheets use File > Download > CSV; "
            "in Excel choose \u201cCSV UTF-8\u201d." % shown
        ) from None


def normalise_header(name):
    """``" Grade-Min "`` and ``grade min`` both become ``grade_min``."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def looks_like_formula(value):
    """A cell a spreadsheet would run: ``=HYPERLINK(...)``, ``@SUM``, ``+cmd``; a plain ``-5`` is fine."""
    if not value or value[0] not in FORMULA_STARTS:
        return False
    if value[0] in "+-":
        rest = value[1:].strip()
        return bool(rest) and not rest.replace(".", "", 1).isdigit()
    return True


def _reader(text):
    """A CSV reader in the dialect the text appears to use (commas, semicolons or tabs)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _header(reader, columns):
    """The header row's column names, normalised and checked against ``columns``."""
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError("The file has no header row.") from None
    names = [normalise_header(name) for name in header]
    check_header(names, columns)
    return names


def _rows(reader, names, columns, max_rows):
    """Every non-blank row after the header, parsed; at most ``max_rows`` of them."""
    by_name = {column.name: column for column in columns}
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise ImportFileError("The file has more than %d rows. Split it into smaller files." % max_rows)
            rows.append(parse_row(number, names, cells, by_name))
    except csv.Error as error:
        raise ImportFileError("The file could not be read as CSV near line %d: %s" % (reader.line_num, error)) from None
    return rows


def parse(raw, columns, max_rows=100_000):
    """Decode and validate an upload against ``columns``. Returns the list of ``Row``.

    File-level problems (not CSV, empty, missing or unknown columns, too many rows) raise
    ``ImportFileError``; row-level problems are collected on each row.
    """
    reader = _reader(decode(raw))
    names = _header(reader, columns)
    rows = _rows(reader, names, columns, max_rows)
    if not rows:
        raise ImportFileError("The file has a header but no rows.")
    return rows


def check_header(names, columns):
    """Refuse a header with repeated, missing (required) or unknown columns, naming them all."""
    known = {column.name for column in columns}
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    missing = [c.name for c in columns if c.required and c.name not in names]
    unknown = [name for name in names if name and name not in known]
    problems = []
    if duplicated:
        problems.append("repeated columns: " + ", ".join(duplicated))
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown) + " (expected: " + ", ".join(sorted(known)) + ")")
    if problems:
        raise ImportFileError("The header row does not match: " + "; ".join(problems) + ".")


def parse_row(number, names, cells, by_name):
    """One line as a ``Row``: its converted values, and what is wrong with it."""
    row = Row(number)
    if len(cells) > len(names):
        row.errors.append("has %d cells but the header has %d columns" % (len(cells), len(names)))
    for name, cell in zip(names, cells, strict=False):
        column = by_name.get(name)
        if column is None:
            continue
        value, error = convert(cell.strip(), column)
        if error:
            row.errors.append("%s: %s" % (name, error))
        else:
            row.values[name] = value
    for column in by_name.values():
        if (
            column.required
            and row.values.get(column.name) in (None, "", [])
            and not any(e.startswith(column.name + ":") for e in row.errors)
        ):
            row.errors.append("%s: is required" % column.name)
    return row


def _int_cell(cell, column):
    if not cell.isascii() or not cell.lstrip("-").isdigit() or len(cell) > 9:
        return None, "must be a whole number"
    number = int(cell)
    if (column.low is not None and number < column.low) or (column.high is not None and number > column.high):
        return None, "must be between %s and %s" % (column.low, column.high)
    return number, None


def _date_cell(cell, column):
    try:
        return date.fromisoformat(cell), None
    except ValueError:
        return None, "must be a date written YYYY-MM-DD"


def _bool_cell(cell, column):
    lowered = cell.lower()
    if lowered in ("true", "yes", "y", "1", "s\u00ed", "si"):
        return True, None
    if lowered in ("false", "no", "n", "0"):
        return False, None
    return None, "must be yes or no"


def _choice_cell(cell, column):
    return (cell, None) if cell in column.choices else (None, "must be one of " + ", ".join(column.choices))


def _list_cell(cell, column):
    items = [item.strip() for item in cell.replace(";", ",").split(",") if item.strip()]
    bad = [item for item in items if column.choices and item not in column.choices]
    return (items, None) if not bad else (None, "unknown values " + ", ".join(bad))


# How a non-empty cell of each column kind is read; "text" is kept as it is.
CONVERTERS = {"int": _int_cell, "date": _date_cell, "bool": _bool_cell, "choice": _choice_cell, "list": _list_cell}


def convert(cell, column):
    """(value, None) or (None, why) for one cell."""
    if looks_like_formula(cell):
        return None, "looks like a spreadsheet formula; type the plain value instead"
    if strip_hidden(cell) != cell:  # the forms refuse these too: imports are no back door
        return None, "has invisible control characters; remove them"
    if len(cell) > min(column.max_length, MAX_CELL):
        return None, "is too long (at most %d characters)" % column.max_length
    if cell == "":
        return ([] if column.kind == "list" else None), None
    converter = CONVERTERS.get(column.kind)
    return converter(cell, column) if converter else (cell, None)


def duplicate_ids(rows, key):
    """Mark every row after the first that repeats ``key``."""
    seen = {}
    for row in rows:
        value = row.values.get(key)
        if value in (None, ""):
            continue
        if value in seen:
            row.errors.append("%s: %s already appears on line %d" % (key, value, seen[value]))
        else:
            seen[value] = row.number


def neutralise(value):
    """A cell that opens as text in Sheets and Excel: formula-like strings get a leading quote."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def _cells(row):
    """A row's cells as CSV text: None empty, strings neutralised, the rest as ``str``."""
    return ["" if cell is None else neutralise(cell) if isinstance(cell, str) else str(cell) for cell in row]


def iter_csv(header, rows, chunk=1000):
    """``to_csv`` in pieces of ``chunk`` rows, for a caller that writes to a file or a stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])
    for number, row in enumerate(rows, start=1):
        writer.writerow(_cells(row))
        if number % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_csv(header, rows):
    """CSV text with a BOM (so Excel reads UTF-8), every cell neutralised."""
    return "".join(iter_csv(header, rows))

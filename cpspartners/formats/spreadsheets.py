"""CSV in the shape a Google Sheet exports, and CSV out that spreadsheets open safely.

Pure functions over bytes and text: no database. Importing happens in two steps:
``parse`` (or ``iter_rows``, one row at a time) turns an upload into typed rows or row-level
problems, and the caller decides what each valid row would do (create, update, unchanged)
before anything is written. Messages are lazy translations: they read in the reader's language.

Both directions use one explicit dialect (``SheetDialect``: double quotes, doubled to escape,
CRLF out), never a guess from the data, so the site's own export reads back cell for cell:
a dialect sniffer guesses wrong on a cell holding quotes and splits or merges it. Only the
delimiter is taken from the header line (comma, tab or semicolon), whose names are known.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from cpspartners.fieldrules import plain_text_problem

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Export prefixes this to a cell a spreadsheet would run (and to one that already starts with
# it), and import takes exactly one off again: the round trip gives back what was stored.
NEUTRAL = "'"


class SheetDialect(csv.excel):
    """Comma-separated, fields quoted with ``"`` when needed and ``""`` inside: what Sheets writes."""

    lineterminator = "\r\n"


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
    low: int | None = None
    high: int | None = None
    # Other spellings accepted for a code, lower-cased: labels in English and Spanish, names.
    aliases: Mapping[str, object] | None = None
    # A list column stored joined with commas in a column of this many characters (0: no limit).
    joined_length: int = 0
    # A format rule from ``fieldrules`` for a non-empty value (the text, or a list's items).
    rule: Callable[..., object] | None = None


@dataclass
class Row:
    """One parsed line of an upload."""

    number: int  # the line in the spreadsheet, header = 1
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    bad_columns: set = field(default_factory=set)

    def reject(self, column, problem):
        """Note what is wrong with ``column`` ("" for the row as a whole)."""
        self.bad_columns.add(column)
        self.errors.append(_l("%(column)s: %(problem)s", column=column, problem=problem) if column else problem)


def decode(raw):
    """The upload's bytes without a BOM, once they are known to be UTF-8; anything else is a clear error."""
    if not raw or not raw.strip():
        raise ImportFileError(_l("The file is empty."))
    head = raw[:4096]
    binary = ImportFileError(_l("This does not look like a CSV file (it contains binary data)."))
    # A NUL in the header line, or many, is a binary file; one stray NUL in a cell is said on its row.
    if b"\x00" in head.split(b"\n", 1)[0] or head.count(b"\x00") > 8:
        raise binary
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        # Checked a megabyte at a time and the text let go: a whole 80 MB file decoded at once
        # (four bytes a character once one is outside Latin-1) is what made imports heavy.
        checker = codecs.getincrementaldecoder("utf-8")()
        for start in range(0, len(raw), 1 << 20):
            checker.decode(raw[start : start + (1 << 20)])
        checker.decode(b"", final=True)
        return raw
    except UnicodeDecodeError:
        if b"\x00" in head:
            raise binary from None
        bad = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(number)
        shown = ", ".join(str(n) for n in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise ImportFileError(
            _l(
                "The file is not all UTF-8 (lines %(lines)s). In Google Sheets use File > Download > CSV; "
                "in Excel choose \u201cCSV UTF-8\u201d.",
                lines=shown,
            )
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


def delimiter(text):
    """The header line's separator: a comma unless the line has none and has a tab or semicolon."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    return "\t" if "\t" in first else ";" if ";" in first else ","


def lines(raw):
    """The UTF-8 bytes as text one line at a time, line ends kept (what ``csv.reader`` wants)."""
    start, size = 0, len(raw)
    while start < size:
        end = raw.find(b"\n", start)
        end = size if end == -1 else end + 1
        yield raw[start:end].decode("utf-8")
        start = end


def _reader(raw):
    """A CSV reader in ``SheetDialect`` with the header line's separator (no guessing from cells)."""
    first = raw[: raw.find(b"\n")] if b"\n" in raw else raw
    return csv.reader(lines(raw), SheetDialect, delimiter=delimiter(first.decode("utf-8")))


def _header(reader, columns):
    """The header row's column names, normalised and checked against ``columns``."""
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError(_l("The file has no header row.")) from None
    names = [normalise_header(name) for name in header]
    check_header(names, columns)
    return names


def _rows(reader, names, columns, max_rows):
    """Every non-blank row after the header, parsed one at a time; at most ``max_rows`` of them."""
    by_name = {column.name: column for column in columns}
    count = 0
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if count >= max_rows:
                raise ImportFileError(_l("The file has more than %(n)d rows. Split it into smaller files.", n=max_rows))
            count += 1
            yield parse_row(number, names, cells, by_name)
    except csv.Error as error:
        raise ImportFileError(
            _l("The file could not be read as CSV near line %(line)d: %(error)s", line=reader.line_num, error=error)
        ) from None
    if not count:
        raise ImportFileError(_l("The file has a header but no rows."))


def iter_rows(raw, columns, max_rows=100_000) -> Iterator["Row"]:
    """Decode and validate an upload against ``columns``, yielding each ``Row`` as it is read.

    File-level problems (not CSV, empty, missing or unknown columns, too many rows) raise
    ``ImportFileError`` (the header's at once, the rest when reached); row-level problems are
    collected on each row.
    """
    reader = _reader(decode(raw))
    names = _header(reader, columns)
    return _rows(reader, names, columns, max_rows)


def parse(raw, columns, max_rows=100_000):
    """``iter_rows`` as a list."""
    return list(iter_rows(raw, columns, max_rows))


def check_header(names, columns):
    """Refuse a header with repeated, missing (required) or unknown columns, naming them all."""
    known = {column.name for column in columns}
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    missing = [c.name for c in columns if c.required and c.name not in names]
    unknown = [name for name in names if name and name not in known]
    problems = []
    if duplicated:
        problems.append(str(_l("repeated columns: %(names)s", names=", ".join(duplicated))))
    if missing:
        problems.append(str(_l("missing columns: %(names)s", names=", ".join(missing))))
    if unknown:
        problems.append(
            str(
                _l(
                    "unknown columns: %(names)s (expected: %(known)s)",
                    names=", ".join(unknown),
                    known=", ".join(sorted(known)),
                )
            )
        )
    if problems:
        raise ImportFileError(_l("The header row does not match: %(problems)s.", problems="; ".join(problems)))


def parse_row(number, names, cells, by_name):
    """One line as a ``Row``: its converted values, and what is wrong with it."""
    row = Row(number)
    if len(cells) > len(names):
        row.reject(
            "", _l("has %(cells)d cells but the header has %(columns)d columns", cells=len(cells), columns=len(names))
        )
    for name, cell in zip(names, cells, strict=False):
        column = by_name.get(name)
        if column is None:
            continue
        value, error = convert(cell.strip(), column)
        if error:
            row.reject(name, error)
        else:
            row.values[name] = value
    for column in by_name.values():
        if column.required and row.values.get(column.name) in (None, "", []) and column.name not in row.bad_columns:
            row.reject(column.name, _l("is required"))
    return row


def fold(text):
    """Text as labels are compared: lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _alias(cell, column):
    """The code a cell means: itself when it is one, else the code of the label or name it is
    (any case, with or without accents), or of the one label it is a whole-word part of
    ("sin fines de lucro" for "Organización sin fines de lucro")."""
    if cell in column.choices:
        return cell
    aliases = column.aliases or {}
    key = fold(cell)
    if key in aliases:
        return aliases[key]
    if len(key) < 4:
        return None
    pattern = re.compile(r"(?:^|\W)%s(?:$|\W)" % re.escape(key))
    found = {code for name, code in aliases.items() if pattern.search(name)}
    return found.pop() if len(found) == 1 else None


def _int_cell(cell, column):
    if column.aliases and not cell.isdigit():
        named = _alias(cell, column)
        return (named, None) if named is not None else (None, _l("must be a number or a name from the list"))
    if not cell.isascii() or not cell.lstrip("-").isdigit() or len(cell) > 9:
        return None, _l("must be a whole number")
    number = int(cell)
    if (column.low is not None and number < column.low) or (column.high is not None and number > column.high):
        return None, _l("must be between %(low)s and %(high)s", low=column.low, high=column.high)
    return number, None


def _date_cell(cell, column):
    try:
        return date.fromisoformat(cell), None
    except ValueError:
        return None, _l("must be a date written YYYY-MM-DD")


def _bool_cell(cell, column):
    lowered = cell.lower()
    if lowered in ("true", "yes", "y", "1", "s\u00ed", "si"):
        return True, None
    if lowered in ("false", "no", "n", "0"):
        return False, None
    return None, _l("must be yes or no")


def _choice_cell(cell, column):
    code = _alias(cell, column)
    if code is None:
        return None, _l("must be one of %(choices)s", choices=", ".join(column.choices))
    return code, None


def _list_cell(cell, column):
    items = [item.strip() for item in cell.replace(";", ",").split(",") if item.strip()]
    if column.choices:
        found = [_alias(item, column) for item in items]
        bad = [item for item, code in zip(items, found, strict=True) if code is None]
        if bad:
            return None, _l("unknown values %(values)s", values=", ".join(bad))
        items = list(dict.fromkeys(found))
    if column.joined_length and len(",".join(items)) > column.joined_length:
        return None, _l("is too long (at most %(n)d characters)", n=column.joined_length)
    return items, None


# How a non-empty cell of each column kind is read; "text" is kept as it is.
CONVERTERS = {"int": _int_cell, "date": _date_cell, "bool": _bool_cell, "choice": _choice_cell, "list": _list_cell}


def restore(cell):
    """A cell as it was before ``neutralise``: one leading apostrophe taken off."""
    return cell[1:] if cell.startswith(NEUTRAL) else cell


def convert(cell, column):
    """(value, None) or (None, why) for one cell."""
    if looks_like_formula(cell):
        return None, _l("looks like a spreadsheet formula; type the plain value instead")
    cell = restore(cell)
    problem = plain_text_problem(cell)  # the forms refuse these too: imports are no back door
    if problem:
        return None, problem
    if len(cell) > min(column.max_length, MAX_CELL):
        return None, _l("is too long (at most %(n)d characters)", n=column.max_length)
    if cell == "":
        return ([] if column.kind == "list" else None), None
    converter = CONVERTERS.get(column.kind)
    value, error = converter(cell, column) if converter else (cell, None)
    if error is None and column.rule is not None:
        error = column.rule(value)
        if error:
            value = None
    return value, error


def duplicate_ids(rows, key):
    """Mark every row after the first that repeats ``key``."""
    seen = {}
    for row in rows:
        value = row.values.get(key)
        if value in (None, ""):
            continue
        if value in seen:
            row.reject(key, _l("%(value)s already appears on line %(line)d", value=value, line=seen[value]))
        else:
            seen[value] = row.number


def neutralise(value):
    """A cell that opens as text in Sheets and Excel: formula-like strings get a leading quote
    (and so does one that starts with the quote, so that ``restore`` gives each back whole)."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == NEUTRAL):
        return NEUTRAL + value
    return value


def _cells(row):
    """A row's cells as CSV text: None empty, strings neutralised, the rest as ``str``."""
    return ["" if cell is None else neutralise(cell) if isinstance(cell, str) else str(cell) for cell in row]


def iter_csv(header, rows, chunk=1000):
    """``to_csv`` in pieces of ``chunk`` rows, for a caller that writes to a file or a stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, SheetDialect)
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

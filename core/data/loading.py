"""Reading an uploaded table (CSV, Parquet, Excel) the way an analyst's messy files need it.

CSV files come from many places: German Excel writes ``;`` with decimal commas in Windows-1252, other tools
write tabs or pipes, some files have no header row, some start with Excel's ``sep=;`` hint line. We detect
the separator, decimal mark, encoding and header from a sample, let the caller override every guess with
:class:`CsvSettings`, parse with pandas' C engine, and turn every problem into a :class:`~core.data.sets.DataError`
that says which line or column is wrong and what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow.parquet as pq  # pandas' own Parquet engine
from charset_normalizer import from_bytes

from core.common.errors import one_line
from core.common.i18n import plural_category, tr
from core.data.sets import DataError

# Names in English; shown translated as loading.separator.<name>, loading.decimal.<name>, loading.encoding.<code>
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DECIMALS = {".": "point", ",": "comma"}
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16, Excel's Unicode Text",
    "utf-16-le": "UTF-16 little-endian, without BOM",
    "utf-16-be": "UTF-16 big-endian, without BOM",
    "cp1252": "Latin-1 / Windows-1252",
    "cp1250": "Windows-1250, Central Europe",
    "cp1251": "Windows-1251, Cyrillic",
    "mac_roman": "Mac OS Roman, older Mac files",
}
# The single-byte code pages a file that is not UTF-8 is tried in, commonest first (ties go to the earlier one)
SINGLE_BYTE = ("cp1252", "cp1250", "cp1251", "mac_roman")


def separator_label(separator: str) -> str:
    """A separator's name in the reader's language ("comma", "Semikolon", …)."""
    return tr(f"loading.separator.{SEPARATORS[separator]}")


def decimal_label(decimal: str) -> str:
    """A decimal mark's name in the reader's language."""
    return tr(f"loading.decimal.{DECIMALS[decimal]}")


def encoding_label(encoding: str) -> str:
    """An encoding's name in the reader's language."""
    return tr(f"loading.encoding.{encoding}")


SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".xlsx")

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SAMPLE_BYTES = 64 * 1024  # detection reads this much: enough for 50 lines of any sane table, cheap for any file
SAMPLE_RECORDS = 50
# Separator candidates in the order that wins exact ties: the comma is the character most often found inside
# values (text, decimal commas: "Länge, cm;Art" over "5,1;Setosa" splits two ways equally), so it comes last
TIE_ORDER = ("\t", ";", "|", ",")
QUOTE = '"'  # the quote character of both the csv module and pandas by default
# Values that mean "missing" in exports; they say nothing about whether a column is numeric
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?", "#n/a", "<na>"})
# Excel's "sep=;" first line tells Excel which separator to use; it is never data
SEP_HINT = re.compile(r"\s*sep=(.)\s*", re.IGNORECASE)
# Magic numbers of formats that people upload under the wrong name
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a ZIP archive
PARQUET_MAGIC = b"PAR1"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # old Excel 97-2003 .xls
# A pickle (also what joblib.dump writes) starts with PROTO 2-5; loading one runs any code it names, so an upload
# is only ever parsed as a table and a pickle is refused by name, whatever the file is called
PICKLE_PROTOCOLS = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".sav", ".pt", ".pth", ".npy", ".npz")
UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)  # UTF-32's little-endian BOM begins like UTF-16's


def _number_patterns(decimal: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(plain, grouped) number patterns for a decimal mark; grouped ones use the other mark for thousands."""
    dec = re.escape(decimal)
    thousands = re.escape("." if decimal == "," else ",")
    plain = re.compile(rf"[-+]?(?:\d+(?:{dec}\d*)?|{dec}\d+)(?:[eE][-+]?\d+)?")
    grouped = re.compile(rf"[-+]?\d{{1,3}}(?:{thousands}\d{{3}})+(?:{dec}\d+)?")
    return plain, grouped


NUMBER_PATTERNS = {mark: _number_patterns(mark) for mark in DECIMALS}
# The decimal-comma evidence the detection counts: 5,1 or 1.234,5 (German); against 5.1 or 1,234.5 (English)
COMMA_DECIMAL = re.compile(r"-?\d{1,3}(?:\.\d{3})*,\d+|-?\d+,\d+")
POINT_DECIMAL = re.compile(r"-?\d+\.\d+|-?\d{1,3}(?:,\d{3})*\.\d+")


@dataclass(frozen=True)
class CsvSettings:
    """How to read a CSV file: separator, decimal mark, text encoding and whether row 1 holds the names."""

    separator: str
    decimal: str
    encoding: str
    header: bool

    def __post_init__(self) -> None:
        # Unknown values are a programming error (the UI offers only these), so a plain ValueError
        for value, allowed in ((self.separator, SEPARATORS), (self.decimal, DECIMALS), (self.encoding, ENCODINGS)):
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {', '.join(map(repr, allowed))}.")

    def describe(self) -> str:
        """The settings in words, e.g. "separator ';', decimal comma, encoding cp1252 (…), header row"."""
        if self.separator == "\t":
            separator = tr("loading.describe_separator_tab")
        else:
            separator = tr("loading.describe_separator", separator=self.separator)
        if ENCODINGS[self.encoding].lower() == self.encoding:
            encoding = tr("loading.describe_encoding", encoding=self.encoding)
        else:
            encoding = tr(
                "loading.describe_encoding_named", encoding=self.encoding, label=encoding_label(self.encoding)
            )
        header = tr("loading.describe_header" if self.header else "loading.describe_no_header")
        return tr(
            "loading.describe",
            separator=separator,
            decimal=decimal_label(self.decimal),
            encoding=encoding,
            header=header,
        )


@dataclass(frozen=True, eq=False)  # eq=False: comparing frames with == is elementwise, not a bool
class LoadedTable:
    """A table read from an uploaded file, with the format and (for CSV) the settings that read it."""

    frame: pd.DataFrame
    kind: str
    settings: CsvSettings | None


# ---------------------------------------------------------------------------------------------------------------
# Detection


def detect_csv_settings(content: bytes) -> CsvSettings:
    """Guess separator, decimal mark, encoding and header of CSV bytes; never raises (read_table reports problems)."""
    encoding = _detect_encoding(content)
    sample = _sample_text(content, encoding)
    sample, hint, _ = _split_sep_hint(sample)
    truncated = len(content) > SAMPLE_BYTES
    separator = hint if hint in SEPARATORS else _detect_separator(sample, truncated)
    rows = _sample_records(sample, separator, truncated)
    decimal = _detect_decimal(rows, separator)
    return CsvSettings(separator, decimal, encoding, _detect_header(rows, decimal))


def _detect_encoding(content: bytes) -> str:
    """utf-8-sig with a BOM, UTF-16 with or without one; utf-8 when the bytes are valid UTF-8; else the single-byte
    code page charset-normalizer finds most plausible (see _single_byte_encoding)."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not content.startswith(UTF32_BOMS):
        return "utf-16"
    if (endian := _utf16_without_bom(content)) is not None:
        return f"utf-16-{endian}"
    # UTF-8 is self-checking: Latin-1 text with umlauts is practically never valid UTF-8 (ä = 0xE4 would need two
    # continuation bytes after it), so "decodes as UTF-8" means "is UTF-8". We check the whole file, not the
    # sample: the first non-ASCII letter may sit on row 90,000, and decoding is fast (about 1 ms per MB).
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return _single_byte_encoding(content)
    return "utf-8"


def _single_byte_encoding(content: bytes) -> str:
    """The code page of a file that is not UTF-8, by charset-normalizer (it samples the whole file: ~20 ms for
    2 MB). Among the least chaotic decodings the most coherent wins, ties going to the commoner code page; Mac OS
    Roman only when it is strictly less chaotic (its letters sit where the Windows pages have other letters, so
    equal scores are no evidence for it); a Central-European pick that reads exactly as cp1252 is cp1252.
    Hungarian ő and ű tie between cp1250 and cp1252 and come out as cp1252: the page says what was detected."""

    excerpt = _non_ascii_lines(content)
    scored = [
        (codecs.lookup(m.encoding).name.replace("-", "_"), round(m.chaos, 3), round(m.coherence, 3))
        for m in from_bytes(excerpt, cp_isolation=list(SINGLE_BYTE))
    ]
    rank = {name: i for i, name in enumerate(SINGLE_BYTE)}
    scored = [entry for entry in scored if entry[0] in rank and _plausible(excerpt.decode(entry[0], errors="replace"))]
    if not scored:  # nothing reads as text of a language: the commonest (a damaged file then says which byte)
        return SINGLE_BYTE[0]
    least = min(chaos for _, chaos, _ in scored)
    calm = [(name, coherence) for name, chaos, coherence in scored if chaos == least]
    if len(calm) > 1:
        calm = [(name, coherence) for name, coherence in calm if name != "mac_roman"]
    # charset-normalizer scores similar code pages (Windows-1250 and -1252) alike; one language's alphabet
    # explaining every accented letter decides between them (Czech reads as Czech in 1250, as a medley in 1252)
    fit = {name: _alphabet_fit(excerpt.decode(name, errors="replace")) for name, _ in calm}
    best = max(calm, key=lambda entry: (fit[entry[0]], entry[1], -rank[entry[0]]))[0]
    if best != SINGLE_BYTE[0]:
        text = excerpt.decode(best, errors="replace")
        if excerpt.decode(SINGLE_BYTE[0], errors="replace") == text:
            return SINGLE_BYTE[0]
    return best


# Non-letters that text in any of SINGLE_BYTE plausibly holds; anything else non-ASCII (√, Ѓ beside Latin letters)
# means the bytes were decoded in the wrong code page
_TEXT_SYMBOLS = frozenset("€£¥°²³µ«»„“”‚‘’–—…·§©®±×÷¼½¾¿¡¢¬¦\u00a0")
_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


def _non_ascii_lines(content: bytes, most: int = 64_000) -> bytes:
    """The lines that hold non-ASCII bytes, up to ``most`` bytes of them: all that tells one code page from
    another (ASCII reads alike in each), wherever in the file they are, without decoding the whole file."""
    lines, size = [], 0
    for match in _NON_ASCII_LINE.finditer(content):
        lines.append(match.group())
        size += len(lines[-1]) + 1
        if size >= most:
            break
    return b"\n".join(lines)


# The accented letters of the languages the Latin code pages serve: a decoding whose letters all belong to one of
# them reads as that language; a wrong code page scatters its letters over several
_ALPHABETS = (
    "àâäçéèêëîïôöùûüÿœæ",  # French
    "áéíóúüñ",  # Spanish
    "áâãàçéêíóôõú",  # Portuguese
    "àèéìíòóù",  # Italian
    "äöüß",  # German
    "æøåäöé",  # Danish, Norwegian, Swedish, Finnish
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "ąćęłńóśźż",  # Polish
    "áéíóöőúüű",  # Hungarian
    "ăâîșşțţ",  # Romanian
    "čćđšž",  # Croatian, Slovene, Bosnian
)


def _alphabet_fit(text: str) -> float:
    """The largest share of the text's distinct accented letters that one language's alphabet holds (1.0: a
    single language explains them all; no accented letters: 1.0)."""
    letters = {ch for ch in set(text.lower()) if ord(ch) > 127 and ch.isalpha()}
    if not letters:
        return 1.0
    return max(len(letters & set(alphabet)) for alphabet in _ALPHABETS) / len(letters)


def _plausible(text: str) -> bool:
    """Whether decoded text reads as text: its non-ASCII characters are letters or common symbols, and no word
    mixes scripts (a Cyrillic letter inside a Latin word is a wrong code page, not a name)."""
    if any(ord(ch) > 127 and not ch.isalpha() and ch not in _TEXT_SYMBOLS for ch in set(text)):
        return False
    for word in set(_NON_ASCII_WORD.findall(text)):
        scripts = {unicodedata.name(ch, "?").split(" ")[0] for ch in word if ch.isalpha()}
        if len(scripts) > 1:
            return False
    return True


def _sample_text(content: bytes, encoding: str) -> str:
    """The first SAMPLE_BYTES decoded, cut back to the last complete line."""
    if encoding.startswith("utf-16"):  # two bytes a character: cut the text, not the bytes
        text = content.decode(encoding, errors="replace")
        end = text.rfind("\n", 0, SAMPLE_BYTES)
        return text if len(text) <= SAMPLE_BYTES or end == -1 else text[:end]
    if len(content) <= SAMPLE_BYTES:
        return content.decode(encoding, errors="replace")
    end = content.rfind(b"\n", 0, SAMPLE_BYTES)
    if end == -1:  # one very long first line: take it whole, the separator is in it
        end = content.find(b"\n")
        end = len(content) if end == -1 else end
    return content[:end].decode(encoding, errors="replace")


def _split_sep_hint(text: str) -> tuple[str, str | None, int]:
    """Text without Excel's "sep=X" first line, X (or None) and how many lines were removed (0 or 1)."""
    first, _, rest = text.partition("\n")
    match = SEP_HINT.fullmatch(first)
    if match and match.group(1):
        return rest, match.group(1), 1
    return text, None, 0


def _sample_records(sample: str, separator: str, truncated: bool) -> list[list[str]]:
    """Up to SAMPLE_RECORDS non-blank records of the sample, split by the csv module (which respects quotes)."""
    records: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(sample, newline=""), delimiter=separator):
            if not _is_blank(row):
                records.append(row)
            if len(records) > SAMPLE_RECORDS:
                break
    except csv.Error:  # e.g. a field over csv's size limit: judge by the records before it
        pass
    if truncated and len(records) <= SAMPLE_RECORDS:
        # The sample ends where we cut the file; a quoted value may run past the cut, so its record is unreliable
        records = records[:-1]
    return records[:SAMPLE_RECORDS]


def _is_blank(row: Sequence[str]) -> bool:
    """A record from an empty or whitespace-only line; pandas skips those too."""
    return len(row) <= 1 and not "".join(row).strip()


def _detect_separator(sample: str, truncated: bool) -> str:
    """The candidate that splits the sample's records into the same number (>1) of fields most consistently."""
    best: tuple[float, bool, int] | None = None
    chosen = ","
    # Not csv.Sniffer: on a one-column file it happily picks a letter as the separator, and on a semicolon file
    # with decimal commas it often picks the comma. Counting fields per record with the csv module (so that
    # quoted separators do not count) and asking which candidate gives the steadiest count is simple and robust.
    for separator in TIE_ORDER:
        counts = [len(row) for row in _sample_records(sample, separator, truncated)]
        if not counts:
            continue
        mode, frequency = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        # Steadiness first; then whether the header row agrees (a German file split on "," gives the header one
        # field and the rows two); then more fields. Exact ties keep the earlier candidate in TIE_ORDER.
        score = (frequency / len(counts), counts[0] == mode, mode)
        if best is None or score > best:
            best, chosen = score, separator
    # Nothing splits into two or more fields: a one-column file, which must stay one column
    return chosen


def _detect_decimal(rows: list[list[str]], separator: str) -> str:
    """A comma when most numbers with a decimal mark in the data rows use a comma; "." otherwise."""
    if separator == ",":
        # With a comma separator an unquoted decimal comma would split the value; quoted "5,1" is too rare to guess
        return "."
    comma = point = 0
    for row in rows[1:]:  # row 1 may be the header
        for field in row:
            value = field.strip()
            # Integers ("12") fit both marks and say nothing, so only fields with a mark are counted; "1.234" fits
            # both as well (1234 in German) and counts for the point, which keeps English files safe.
            if COMMA_DECIMAL.fullmatch(value):
                comma += 1
            elif POINT_DECIMAL.fullmatch(value):
                point += 1
    return "," if comma > point else "."


def _is_number(value: str, decimal: str) -> bool:
    """Whether a field reads as a number with this decimal mark (with or without thousands groups)."""
    plain, grouped = NUMBER_PATTERNS[decimal]
    return bool(plain.fullmatch(value) or grouped.fullmatch(value))


def _detect_header(rows: list[list[str]], decimal: str) -> bool:
    """True unless every column's first value looks like the values below it (a number over numbers, a repeat)."""
    if len(rows) < 2:
        return True  # nothing to compare with; a file almost always has a header
    first, rest = rows[0], rows[1:]
    data_like = 0
    for index, name in enumerate(first):
        name = name.strip()
        values = [row[index].strip() for row in rest if index < len(row)]
        values = [v for v in values if v.lower() not in MISSING_TOKENS]
        if name.lower() in MISSING_TOKENS or not values:
            continue  # an empty cell or an empty column says nothing either way
        if all(_is_number(v, decimal) for v in values):
            if not _is_number(name, decimal):
                return True  # text above numbers, e.g. "sepal length (cm)" above 5.1, 4.9, …: a header
            data_like += 1  # a number above numbers: a data row
        elif name in values:
            data_like += 1  # a category that repeats below ("setosa" in iris): a data row
        else:
            # Text above text that never repeats: most likely a name ("species" above setosa, versicolor). A
            # header-less file whose text columns are all unique IDs is read with a header; the UI can override.
            return True
    return data_like == 0


# ---------------------------------------------------------------------------------------------------------------
# Reading


def read_table(
    content: bytes,
    filename: str,
    settings: CsvSettings | None = None,
    min_rows: int = 2,
    min_columns: int = 1,
    batch: bool = False,
) -> LoadedTable:
    """Read an uploaded .csv/.txt/.tsv, .parquet or .xlsx file, raising DataError that says what to fix. Rows
    without any value are dropped; in a ``batch`` (rows to predict or monitor) only before and after the data."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in PICKLE_SUFFIXES or content.startswith(PICKLE_PROTOCOLS):
        raise DataError(tr("loading.pickle", filename=filename, suffixes=", ".join(SUPPORTED_SUFFIXES)))
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(
            tr(
                "loading.unsupported_xls" if suffix == ".xls" else "loading.unsupported",
                filename=filename,
                suffix=suffix or tr("loading.no_suffix"),
                suffixes=", ".join(SUPPORTED_SUFFIXES),
            )
        )
    if not content or not content.strip():
        raise DataError(tr("loading.empty", filename=filename))
    if suffix in CSV_SUFFIXES:
        frame, settings = _read_csv(content, filename, settings, inner_empty_rows=not batch)
        kind = "csv"
    elif suffix == ".parquet":
        frame, kind = _read_parquet(content, filename), "parquet"
    else:
        frame, kind = _read_excel(content, filename, inner_empty_rows=not batch), "xlsx"
    _bools_to_strings(frame)
    settings = settings if kind == "csv" else None
    _check_size(frame, filename, min_rows, min_columns, kind, settings)
    return LoadedTable(frame, kind, settings)


def _read_csv(
    content: bytes, filename: str, settings: CsvSettings | None, inner_empty_rows: bool = True
) -> tuple[pd.DataFrame, CsvSettings]:
    """Parse CSV bytes with the given or detected settings; the frame and the settings used."""
    settings = settings or detect_csv_settings(content)
    _check_is_text(content, filename, settings.encoding)
    if settings.separator == settings.decimal:
        raise DataError(tr("loading.comma_twice", filename=filename))
    text = _decode(content, settings.encoding, filename)
    text, _, skipped = _split_sep_hint(text)
    if not text.strip():
        raise DataError(tr("loading.empty", filename=filename))
    shape = _scan(text, settings.separator, first_line=1 + skipped)
    if shape.ragged is not None:
        line, count = shape.ragged
        if line == shape.last_start and text.count(QUOTE) % 2:
            raise _unclosed_quote(filename, line)
        extra = ""
        if count == shape.width + 1 and shape.trailing_empty:
            extra = " " + tr("loading.trailing_separator", line=line, separator=_sep_name(settings.separator))
        raise DataError(
            tr(
                "loading.ragged",
                filename=filename,
                line=line,
                count=count,
                fields=tr(f"loading.fields_{plural_category(count)}"),
                what=tr("loading.what_header" if settings.header else "loading.what_first_row"),
                first=shape.first_line,
                width=shape.width,
                settings=settings.describe(),
            )
            + extra
        )
    raw = [name.strip() for name in shape.first] if settings.header else [""] * shape.width
    names = [name or f"column_{i}" for i, name in enumerate(raw, start=1)]
    _check_unique(names, shape.first if settings.header else names, filename, _column_number)
    try:
        frame = pd.read_csv(
            io.BytesIO(content),
            sep=settings.separator,
            decimal=settings.decimal,
            # pandas only skips a BOM it is told about; a user-chosen "utf-8" must not glue it to the first value
            encoding="utf-8-sig" if settings.encoding == "utf-8" else settings.encoding,
            header=0 if settings.header else None,
            names=names,  # our own names: pandas would silently turn duplicates a,a into a,a.1
            skiprows=skipped,
            index_col=False,  # never turn the first column into the index, whatever the row lengths
            engine="c",
            low_memory=False,  # one dtype per column, no DtypeWarning on large files
        )
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc) and shape.last_start is not None:
            raise _unclosed_quote(filename, shape.last_start) from None
        raise DataError(
            tr("loading.unreadable_csv", filename=filename, settings=settings.describe(), error=one_line(exc))
        ) from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(
            tr("loading.unreadable_csv", filename=filename, settings=settings.describe(), error=one_line(exc))
        ) from None
    # Excel's "a;b;" exports: a trailing separator makes a nameless, empty last column; it carries nothing
    empty_unnamed = [n for n, r in zip(names, raw, strict=True) if not r and frame[n].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    frame = drop_empty_rows(frame, inner_empty_rows)
    _convert_grouped_numbers(frame, settings.decimal)
    return frame, settings


def _check_is_text(content: bytes, filename: str, encoding: str) -> None:
    """Reject bytes that are not a text table in ``encoding``: other formats under a .csv name, UTF-32, UTF-16
    read with a one-byte encoding, binary data."""
    if content.startswith(ZIP_MAGIC):
        raise DataError(tr("loading.zip_as_csv", filename=filename))
    if content.startswith(PARQUET_MAGIC):
        raise DataError(tr("loading.parquet_as_csv", filename=filename))
    if content.startswith(UTF32_BOMS):
        raise DataError(tr("loading.utf32", filename=filename))
    if encoding.startswith("utf-16"):
        return  # every other byte of Latin text is NUL there: nothing below applies
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(content):
        raise DataError(tr("loading.utf16", filename=filename, label=encoding_label("utf-16")))
    position = content.find(b"\x00")
    if position != -1:
        line = content.count(b"\n", 0, position) + 1
        raise DataError(tr("loading.binary", filename=filename, line=line))


def _utf16_without_bom(content: bytes) -> str | None:
    """ "le" or "be" for UTF-16 text without a BOM: in Latin text every other byte is NUL, the bytes between them
    never are; else None."""
    sample = content[:1024]
    if len(sample) < 4:
        return None
    for endian, zeros, letters in (("le", sample[1::2], sample[0::2]), ("be", sample[0::2], sample[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and letters.count(0) == 0:
            return endian
    return None


def _decode(content: bytes, encoding: str, filename: str) -> str:
    """The text of the file, or a DataError naming the line that does not fit the encoding."""
    if encoding == "utf-8" and content.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"  # the BOM is not part of the first column's name
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        byte = content[exc.start]
        if encoding.startswith("utf-8"):
            advice = tr("loading.advice_cp1252", label=encoding_label("cp1252"))
        else:
            advice = tr("loading.advice_utf8")
        raise DataError(
            tr(
                "loading.wrong_encoding",
                filename=filename,
                encoding=encoding_label(encoding),
                byte=f"{byte:02X}",
                line=line,
                advice=advice,
            )
        ) from None


@dataclass
class _Shape:
    """What one pass over the raw records tells: the first record, its width and the first ragged record."""

    first: list[str]
    first_line: int
    width: int
    ragged: tuple[int, int] | None = None  # (line, field count) of the first record whose width differs
    trailing_empty: bool = False  # the ragged record's extra last field is empty ("1;2;")
    last_start: int | None = None  # line where the last record starts (for an unclosed quote); quoted files only


def _scan(text: str, separator: str, first_line: int = 1) -> _Shape:
    """Count the fields of every record to find the header and the first ragged line, numbered as in an editor."""
    # pandas pads short rows with NaN silently and reports long ones only by its own row count, so we count
    # ourselves. Without quotes a record is a line, and counting separators per line in one comprehension takes
    # ≈30 ms for 100,000 lines; with quotes the csv module splits like pandas does, separators and line breaks
    # inside quotes included (≈0.3 s for 100,000 × 20).
    if QUOTE not in text:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        start = next(i for i, line in enumerate(lines) if line.strip())  # the caller checked the text is not blank
        fields = lines[start].split(separator)
        shape = _Shape(fields, start + first_line, len(fields))
        counts = np.fromiter((line.count(separator) for line in lines), dtype=np.int64, count=len(lines))
        for index in np.flatnonzero(counts != len(fields) - 1):
            line = lines[index]
            if line.strip():  # blank lines have no separators but are no records either
                shape.ragged = (int(index) + first_line, int(counts[index]) + 1)
                shape.trailing_empty = not line.rstrip().rpartition(separator)[2].strip()
                break
        return shape
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    shape = None
    start = first_line
    try:
        for row in reader:
            record_start, start = start, reader.line_num + first_line
            if _is_blank(row):
                continue
            if shape is None:
                shape = _Shape(row, record_start, len(row))
            elif len(row) != shape.width and shape.ragged is None:
                shape.ragged = (record_start, len(row))
                shape.trailing_empty = not row[-1].strip()
            shape.last_start = record_start
    except csv.Error:  # a field over csv's size limit: leave the verdict to pandas
        pass
    if shape is None:
        return _Shape([""], first_line, 1)
    return shape


def _unclosed_quote(filename: str, line: int) -> DataError:
    """The error for a quote that is never closed."""
    return DataError(tr("loading.unclosed_quote", filename=filename, line=line))


def _sep_name(separator: str) -> str:
    """A separator as it reads in a message."""
    return separator_label("\t") if separator == "\t" else separator


def _column_number(index: int) -> str:
    """Column position as a person counts (1-based)."""
    return str(index + 1)


def _column_letter(index: int) -> str:
    """Column position as Excel shows it (A, B, …, AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _check_unique(names: list[str], raw: Sequence[object], filename: str, position) -> None:
    """Raise DataError naming each duplicated column name and where it occurs."""
    seen: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        seen.setdefault(name, []).append(index)
    duplicates = {name: where for name, where in seen.items() if len(where) > 1}
    if not duplicates:
        return
    parts = []
    for name, where in duplicates.items():
        places = tr("loading.and", first=", ".join(position(i) for i in where[:-1]), last=position(where[-1]))
        trimmed = len({str(raw[i]) for i in where}) > 1
        parts.append(tr("loading.duplicate_trimmed" if trimmed else "loading.duplicate", name=name, places=places))
    raise DataError(tr("loading.duplicates", filename=filename, parts="; ".join(parts)))


def drop_empty_rows(frame: pd.DataFrame, inner: bool = True) -> pd.DataFrame:
    """The frame without rows in which every value is missing (";;;" lines, formatted empty spreadsheet rows);
    ``inner`` False: only those before the first and after the last row with a value (a batch keeps the others,
    so that its rows stay the file's rows and an empty one is refused by its number)."""
    # Column by column, numeric ones first, stopping as soon as no row can be all-empty: on a normal table
    # this looks at one or two cheap columns instead of running isna over every text column
    empty: np.ndarray | None = None
    for column in sorted(frame.columns, key=lambda c: frame[c].dtype == object):
        missing = frame[column].isna().to_numpy()
        empty = missing if empty is None else empty & missing
        if not empty.any():
            return frame
    if empty is None:
        return frame
    if not inner and not empty.all():
        filled = np.flatnonzero(~empty)
        empty = empty.copy()
        empty[filled[0] : filled[-1] + 1] = False
    return frame.loc[~empty].reset_index(drop=True)


def _convert_grouped_numbers(frame: pd.DataFrame, decimal: str) -> None:
    """Turn text columns of numbers with thousands groups (1.234,5 or 1,234.5) into numbers, in place."""
    # Not pandas' thousands=".": it drops every "." in every numeric-looking field, so German dates 01.02.2024
    # become 1022024 and a stray 1.5 becomes 15. Here a column converts only when all of its values are numbers
    # and at least one has proper three-digit groups; anything else stays text for the person to see.
    plain, grouped = NUMBER_PATTERNS[decimal]
    thousands = "." if decimal == "," else ","
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        # A quick look at the first values rejects ordinary text columns before the full check
        head = values.iloc[:1000].dropna()
        if head.empty or not all(
            isinstance(v, str) and (plain.fullmatch(v.strip()) or grouped.fullmatch(v.strip())) for v in head
        ):
            continue
        present = values.dropna()
        stripped = present.astype(str).str.strip()
        is_grouped = stripped.str.fullmatch(grouped.pattern)
        if not is_grouped.any() or not (is_grouped | stripped.str.fullmatch(plain.pattern)).all():
            continue
        numbers = stripped.str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
        frame[column] = pd.to_numeric(numbers).reindex(values.index)


def typed_csv_part(frame: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """A part of a CSV file read as text (one partition of a file too large to read at once) with the types
    read_table gives a whole file: a column whose every value is a number becomes numbers (with the file's
    decimal mark, thousands groups too), any other stays text, with missing values as NaN."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        present = values.notna()
        text = values.str.strip()
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False) if decimal == "," else text, errors="coerce")
        if numbers.notna().sum() == present.sum() and present.any():
            out[column] = numbers.astype(float)
        else:
            out[column] = values.astype(object).where(present, np.nan)
    _convert_grouped_numbers(out, decimal)
    return out


def _read_parquet(content: bytes, filename: str) -> pd.DataFrame:
    """A Parquet file as a frame with string column names and a plain row index."""
    if not content.startswith(PARQUET_MAGIC):
        raise DataError(tr("loading.not_parquet", filename=filename, looks=_looks_like(content)))
    try:
        # pandas' reader fails on duplicate names with an Arrow message about "FieldRef"; the footer's schema
        # tells us the names first, cheaply, so that the person reads which columns clash
        raw = pq.read_schema(io.BytesIO(content)).names
        _check_unique([str(name).strip() for name in raw], raw, filename, _column_number)
        frame = pd.read_parquet(io.BytesIO(content))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 — pyarrow raises ArrowInvalid, ArrowIOError, ArrowNotImplementedError, …
        raise DataError(tr("loading.unreadable_parquet", filename=filename, error=one_line(exc))) from None
    # A named index written by pandas is data (e.g. an ID); the default 0..n-1 one is not
    named = any(name is not None for name in frame.index.names)
    frame = frame.reset_index(drop=not named)
    raw = list(frame.columns)
    names = [str(c).strip() or f"column_{i}" for i, c in enumerate(raw, start=1)]
    _check_unique(names, raw, filename, _column_number)
    frame.columns = names
    return frame


def _read_excel(content: bytes, filename: str, inner_empty_rows: bool = True) -> pd.DataFrame:
    """The first sheet of an .xlsx workbook; its first non-empty row holds the column names."""
    if content.startswith(OLE2_MAGIC):
        raise DataError(tr("loading.xls_as_xlsx", filename=filename))
    if not content.startswith(ZIP_MAGIC):
        raise DataError(tr("loading.not_excel", filename=filename, looks=_looks_like(content)))
    try:
        # header=None: we take the names from the first row ourselves, because pandas would silently rename
        # duplicates (a, a → a, a.1) and would not tell us which cells were empty
        sheet = pd.read_excel(io.BytesIO(content), sheet_name=0, header=None, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 — openpyxl raises whatever its parser hits in a damaged workbook
        # (BadZipFile, KeyError for missing parts, AttributeError on some chart sheets); the person needs one line
        if "worksheets found" in str(exc):  # pandas: "Worksheet index 0 is invalid, 0 worksheets found"
            raise DataError(tr("loading.no_worksheets", filename=filename)) from None
        raise DataError(tr("loading.unreadable_excel", filename=filename, error=one_line(exc))) from None
    sheet = drop_empty_rows(sheet, inner_empty_rows)
    if sheet.empty:
        raise DataError(tr("loading.empty_sheet", filename=filename))
    raw = sheet.iloc[0].tolist()
    names = [_excel_name(value) or f"column_{i}" for i, value in enumerate(raw, start=1)]
    _check_unique(names, raw, filename, _column_letter)
    frame = sheet.iloc[1:].reset_index(drop=True)
    frame.columns = names
    # Formatted but empty columns to the right of the table come without a name and without values
    frame = frame.drop(
        columns=[n for n, r in zip(names, raw, strict=True) if not _excel_name(r) and frame[n].isna().all()]
    )
    # With the names in the first row every column was read as object; give each its own dtype back
    return frame.infer_objects()


def _excel_name(value: object) -> str:
    """A header cell as a column name: stripped text, "" for an empty cell."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _looks_like(content: bytes) -> str:
    """A short guess at what some bytes are, for messages about a wrong file type."""
    if content.startswith(ZIP_MAGIC):
        return tr("loading.looks_zip")
    if content.startswith(PARQUET_MAGIC):
        return tr("loading.looks_parquet")
    if content.startswith(OLE2_MAGIC):
        return tr("loading.looks_ole2")
    if b"\x00" not in content[:SAMPLE_BYTES]:
        return tr("loading.looks_text")
    return tr("loading.looks_binary")


def _bools_to_strings(frame: pd.DataFrame) -> None:
    """Make True/False columns strings "True"/"False", in place: scikit-learn's imputers refuse the bool dtype."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            frame[column] = values.map({True: "True", False: "False"}).astype(object)
        elif values.dtype == object:
            # True/False with gaps is read as object holding Python bools and NaN; keep the gaps missing
            first = values.first_valid_index()
            if first is None or not isinstance(values[first], bool):
                continue  # the usual text column, rejected by its first value
            if values.dropna().map(type).eq(bool).all():
                frame[column] = values.map({True: "True", False: "False"})


def _check_size(
    frame: pd.DataFrame, filename: str, min_rows: int, min_columns: int, kind: str, settings: CsvSettings | None
) -> None:
    """Raise DataError when there are no data rows, too few rows or too few columns."""
    rows, columns = frame.shape
    # Parquet stores names apart from the rows; CSV (with a header) and Excel take them from the first row
    names_in_first_row = kind == "xlsx" or (settings is not None and settings.header)
    if rows == 0:
        names = ", ".join(map(str, frame.columns[:8])) + (", …" if columns > 8 else "")
        if not names_in_first_row:
            raise DataError(tr("loading.no_rows", filename=filename, names=names))
        raise DataError(tr("loading.no_data_rows", filename=filename, names=names))
    if rows < min_rows:
        raise DataError(
            tr(
                "loading.few_rows_header" if names_in_first_row else "loading.few_rows",
                filename=filename,
                rows=tr(f"loading.data_rows_{plural_category(rows)}", n=rows),
                minimum=min_rows,
            )
        )
    if columns < min_columns:
        advice = ""
        if settings is not None and columns == 1:
            others = [s for s in SEPARATORS if s != settings.separator and s in str(frame.columns[0])]
            if others:
                advice = " " + tr(
                    "loading.other_separator", separator=_sep_name(others[0]), settings=settings.describe()
                )
        raise DataError(
            tr(
                "loading.few_columns",
                filename=filename,
                columns=tr(f"loading.columns_{plural_category(columns)}", n=columns),
                names=", ".join(map(str, frame.columns[:5])),
                minimum=min_columns,
            )
            + advice
        )

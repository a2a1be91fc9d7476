"""Columns that look like personal data (e-mail, phone, credit card, IBAN), and what to do
with them at import: keep, drop, mask or hash."""

from __future__ import annotations

import hashlib
import re

from modelyard.errors import InvalidInputError

ACTIONS = ("keep", "drop", "mask", "hash")
SAMPLE = 500
MATCH_SHARE = 0.8

EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
CARD = re.compile(r"^\d[\d -]{11,22}\d$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    moved = text[4:] + text[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _kind_of(value: str) -> str | None:
    text = value.strip()
    compact = re.sub(r"[\s-]", "", text)
    if CARD.match(text) and 13 <= len(compact) <= 19 and compact.isdigit() and luhn_ok(compact):
        return "credit card"
    if IBAN.match(compact.upper()) and iban_ok(compact.upper()):
        return "IBAN"
    if EMAIL.match(text):
        return "e-mail"
    if PHONE.match(text) and 7 <= sum(ch.isdigit() for ch in text) <= 15:
        return "phone"
    return None


def detect(values) -> str | None:
    """The kind of personal data a column of strings holds, judged on a sample, or None."""
    sample = [v for v in values[: SAMPLE * 4] if isinstance(v, str) and v.strip()][:SAMPLE]
    if len(sample) < 3:
        return None
    kinds: dict[str, int] = {}
    for value in sample:
        kind = _kind_of(value)
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
    if not kinds:
        return None
    kind, count = max(kinds.items(), key=lambda kv: kv[1])
    return kind if count >= MATCH_SHARE * len(sample) else None


def detect_table(table) -> dict[str, str]:
    """{column: kind} for every string column of an Arrow table that looks personal."""
    import pyarrow as pa

    found = {}
    for field in table.schema:
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            kind = detect(table.column(field.name).slice(0, SAMPLE * 4).to_pylist())
        elif pa.types.is_integer(field.type):
            # long digit runs: only card numbers, whose Luhn check makes a chance match unlikely
            values = table.column(field.name).slice(0, SAMPLE * 4).to_pylist()
            kind = detect([str(v) for v in values if v is not None])
            kind = kind if kind == "credit card" else None
        else:
            kind = None
        if kind:
            found[field.name] = kind
    return found


def mask(value: str) -> str:
    """Keep the last four characters, so a person can still tell two values apart."""
    return "*" * max(len(value) - 4, 0) + value[-4:] if len(value) > 4 else "*" * len(value)


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def parse_choices(pairs: list[str]) -> dict[str, str]:
    """`COLUMN=ACTION` pairs from the command line; `*` names every flagged column."""
    choices = {}
    for pair in pairs:
        column, sep, action = pair.rpartition("=")
        if not sep:
            column, action = "*", pair
        if action not in ACTIONS:
            raise InvalidInputError(
                f"'{action}' is not a privacy action; use one of {', '.join(ACTIONS)}."
            )
        choices[column.strip() or "*"] = action
    return choices


def apply(table, flagged: dict[str, str], choices: dict[str, str]):
    """The table with each flagged column dropped, masked or hashed as chosen.

    Returns (table, {column: action}) for the columns that were changed.
    """
    import pyarrow as pa

    unknown = [c for c in choices if c != "*" and c not in table.column_names]
    if unknown:
        raise InvalidInputError(f"There is no column '{unknown[0]}' to drop, mask or hash.")
    done = {}
    for name in table.column_names:
        action = choices.get(name) or (choices.get("*") if name in flagged else None)
        if not action or action == "keep":
            continue
        index = table.column_names.index(name)
        if action == "drop":
            table = table.remove_column(index)
        else:
            change = mask if action == "mask" else hash_value
            values = [None if v is None else change(str(v)) for v in table.column(name).to_pylist()]
            table = table.set_column(index, name, pa.array(values, pa.string()))
        done[name] = action
    if table.num_columns == 0:
        raise InvalidInputError("Dropping the personal-data columns would leave no columns.")
    return table, done

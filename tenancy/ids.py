"""Ids from users (URLs, payloads, filters) are checked against the BigAutoField range
before they reach the database: a 30-digit id is "not found", not an OverflowError."""

MAX_ID = 2**63 - 1


def id_parse(value) -> int | None:
    """Return `value` as a valid primary key, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None

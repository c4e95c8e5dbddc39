"""Reading ids out of form fields and query strings."""

#: The largest id a BigAutoField holds (PostgreSQL bigint, SQLite integer).
MAX_ID = 2 ** 63 - 1


def as_id(value):
    """A whole number an id may be (1 … MAX_ID), else None: a typed "abc" or a 25-digit number names no record
    and must not reach the database, where it overflows (a 500)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None

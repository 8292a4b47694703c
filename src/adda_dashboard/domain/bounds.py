"""How large a number a request may carry.

Ids and versions are 32-bit integer columns on every database; a larger number in a query or
a path would reach the database and fail there (PostgreSQL: "out of range", SQLite: Python's
own overflow), so every integer parameter is refused with a 400 before that. Offsets and page
numbers are bounded far below a 64-bit column too: no listing is that long.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
MAX_OFFSET = 10**9
MAX_PAGE_NUMBER = 10**6


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is a plain decimal number: ``str.isdigit`` also admits digits such as
    '²' or '٣', which ``int()`` then refuses."""
    return text.isascii() and text.isdigit()

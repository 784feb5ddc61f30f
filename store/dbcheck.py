"""Open the database at start-up or stop with one line that names it and says what is wrong."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from store.db import normalise_url


def describe_url(url: str) -> str:
    """The database URL as an operator may read it: driver name dropped, no password."""
    parsed = make_url(normalise_url(url))
    if parsed.password is not None:
        parsed = parsed.set(password="***")
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=False)

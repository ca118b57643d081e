"""PostgreSQL for Airflow's metadata on this machine: is the server there, make or drop a
database, the URL Airflow wants.

Used by `make airflow --postgres URL` and the scale-out test. Passwords never reach a message:
URLs are shown with `masked()`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The machine's own server (trust authentication on loopback, as CI machines have it).
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server does not answer (the reason is in the message)."""


def airflow_url(url: str) -> str:
    """The SQLAlchemy URL Airflow wants for `url` (the psycopg2 driver named)."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg2"
    if not scheme.startswith("postgresql"):
        raise ValueError(f"Not a PostgreSQL URL: {masked(url)}")
    return f"{scheme}://{rest}"


def masked(url: str) -> str:
    """The URL with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"The URL names no database: {masked(url)}")
    return name


def with_database(url: str, name: str) -> str:
    """The same server and login, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _connect(url: str, timeout: int = 5):
    import psycopg2

    plain = "postgresql://" + url.split("://", 1)[1]  # libpq knows no SQLAlchemy driver names
    try:
        connection = psycopg2.connect(plain, connect_timeout=timeout)
    except psycopg2.OperationalError as error:
        raise PostgresUnavailable(f"PostgreSQL at {masked(url)} does not answer: "
                                  f"{str(error).strip()}") from None
    connection.autocommit = True
    return connection


def _execute(url: str, statement: Any, parameters: tuple = ()) -> tuple | None:
    """Run one statement outside a transaction; return its first row, if it has rows."""
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchone() if cursor.description else None
    finally:
        connection.close()


def check_server(url: str) -> None:
    """Raise PostgresUnavailable unless the server answers a query."""
    _execute(url, "SELECT 1")


def database_exists(server: str, name: str) -> bool:
    return _execute(server, "SELECT 1 FROM pg_database WHERE datname = %s", (name,)) is not None


def create_database(server: str, name: str) -> None:
    """Create the database `name` on the server `server` connects to."""
    from psycopg2 import sql

    _execute(server, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: str, name: str) -> None:
    """Drop the database `name`, closing whatever still uses it."""
    from psycopg2 import sql

    _execute(server, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def ensure_database(url: str) -> bool:
    """Create the database `url` names if it is missing (through the server's `postgres`
    database, with the same login); return True if it was created."""
    name = database_name(url)
    server = with_database(url, "postgres")
    if database_exists(server, name):
        return False
    create_database(server, name)
    return True

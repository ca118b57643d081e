"""Tell a MongoDB server from the embedded development store, by asking it.

Validators and views exist only on a server. The embedded store (mongomock) accepts some of
their commands and then fails on the next insert, so the toolkit asks first, by a command
every MongoDB answers (and every user may run), rather than by the client's type.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)


def server_version(db: Database) -> tuple[int, ...] | None:
    """Return the MongoDB server's version, or None when the store is not a MongoDB server."""
    from pymongo.errors import OperationFailure

    try:
        info = db.command("buildInfo")
    except NotImplementedError:  # mongomock: "not implemented in Mongomock-ng yet"
        return None
    except OperationFailure as error:
        if error.code == 59:  # CommandNotFound: a store that only speaks part of the protocol
            log.debug("buildInfo is not a command here: %s", error)
            return None
        raise  # a server that refuses (no rights, ...) must not pass for "no server"
    if info.get("gitVersion") == "mock":  # a fake that answers anyway is still no server
        return None
    return tuple(info.get("versionArray") or ())[:3] or tuple(
        int(part) for part in str(info.get("version", "0")).split(".")[:3] if part.isdigit())

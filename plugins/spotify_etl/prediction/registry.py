"""Model versions per person: stored, listed, promoted, rolled back.

A version is a document in `models` (`_id` = `user|v<N>`: training window, features, metrics
of every model on the held-out window, library versions, where the artefact is) and its
artefact, the pickled model, in `model_artefacts` (one document, the bytes and their SHA-256,
on MongoDB and on the embedded store alike; a model is a few hundred KB, far under MongoDB's
16 MB). Which version answers is the person's pointer, `_id` = `user|current`, with the
versions promoted before it, so a rollback goes back one step. Every version stays until the
person is deleted (delete-me removes these documents with the rest: they carry `user_id`).
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

MAX_ARTEFACT_BYTES = 15 * 1024 * 1024


class RegistryError(LookupError):
    """No such version, or nothing to promote or roll back to."""


def _version_id(user_id: str, version: int) -> str:
    return document_id(user_id, f"v{version}")


def _pointer_id(user_id: str) -> str:
    return document_id(user_id, "current")


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a stored model depends on."""
    import platform

    import numpy
    import pandas
    import scipy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__}


def save_version(db: Database, user_id: str, model: Any, metadata: dict[str, Any]) -> dict:
    """Store a trained model as the person's next version (not promoted); return its document."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    artefact = buffer.getvalue()
    if len(artefact) > MAX_ARTEFACT_BYTES:
        raise ValueError(f"The model is {len(artefact)} bytes, more than a document holds")
    newest = db.models.find_one({"user_id": user_id, "kind": "version"}, sort=[("version", -1)])
    version = (newest["version"] if newest else 0) + 1
    digest = hashlib.sha256(artefact).hexdigest()
    key = _version_id(user_id, version)
    db.model_artefacts.replace_one({"_id": key}, {"_id": key, "user_id": user_id,
                                                  "sha256": digest, "bytes": artefact},
                                   upsert=True)
    document = {"_id": key, "user_id": user_id, "kind": "version", "version": version,
                "trained_at": datetime.now(UTC), **metadata,
                "library_versions": library_versions(),
                "artefact": {"collection": "model_artefacts", "_id": key, "sha256": digest,
                             "bytes": len(artefact)}}
    db.models.replace_one({"_id": key}, document, upsert=True)
    return document


def versions(db: Database, user_id: str) -> list[dict[str, Any]]:
    """Return a person's versions, oldest first, each with `current` set."""
    current = current_version(db, user_id)
    found = sorted(db.models.find({"user_id": user_id, "kind": "version"}),
                   key=lambda d: d["version"])
    for document in found:
        document["current"] = document["version"] == current
    return found


def version(db: Database, user_id: str, number: int) -> dict[str, Any]:
    """Return one version's document, or raise RegistryError."""
    found = db.models.find_one({"_id": _version_id(user_id, number)})
    if found is None:
        raise RegistryError(f"No model version {number} for this person")
    return found


def current_version(db: Database, user_id: str) -> int | None:
    """Return the number of the version that answers for the person, or None."""
    pointer = db.models.find_one({"_id": _pointer_id(user_id)})
    return pointer["version"] if pointer else None


def promote(db: Database, user_id: str, number: int) -> dict[str, Any]:
    """Make a version the one that answers; return its document."""
    document = version(db, user_id, number)
    pointer = db.models.find_one({"_id": _pointer_id(user_id)}) or {}
    history = list(pointer.get("history") or [])
    if pointer.get("version") == number:
        return document
    history.append(number)
    db.models.replace_one({"_id": _pointer_id(user_id)},
                          {"_id": _pointer_id(user_id), "user_id": user_id, "kind": "current",
                           "version": number, "history": history,
                           "promoted_at": datetime.now(UTC)}, upsert=True)
    return document


def rollback(db: Database, user_id: str) -> dict[str, Any]:
    """Go back to the version promoted before the current one; return it."""
    pointer = db.models.find_one({"_id": _pointer_id(user_id)})
    history = list((pointer or {}).get("history") or [])
    if len(history) < 2:
        raise RegistryError("Nothing to roll back to: no earlier promoted version")
    history.pop()
    previous = history[-1]
    db.models.update_one({"_id": _pointer_id(user_id)},
                         {"$set": {"version": previous, "history": history,
                                   "promoted_at": datetime.now(UTC)}})
    return version(db, user_id, previous)


def load_model(db: Database, user_id: str, number: int | None = None) -> tuple[Any, dict]:
    """Return (model, version document) of a version (default: the current one).

    The artefact is unpickled only if its bytes match the SHA-256 recorded with the version.
    """
    import joblib

    number = number if number is not None else current_version(db, user_id)
    if number is None:
        raise RegistryError("No model has been promoted for this person yet")
    document = version(db, user_id, number)
    stored = db.model_artefacts.find_one({"_id": document["artefact"]["_id"]})
    artefact = bytes(stored["bytes"]) if stored else b""
    if hashlib.sha256(artefact).hexdigest() != document["artefact"]["sha256"]:
        raise RegistryError(f"The artefact of version {number} is missing or altered")
    return joblib.load(io.BytesIO(artefact)), document

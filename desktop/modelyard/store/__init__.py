"""The local store: SQLite (or any SQLAlchemy URL) for records, a content-addressed folder for blobs."""

from modelyard.store.db import Store, open_store

__all__ = ["Store", "open_store"]

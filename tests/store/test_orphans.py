"""Blobs left by a killed process are found and swept; referenced and fresh ones never are."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from sqlalchemy import String

from modelyard.store import open_store, orphans
from modelyard.store.models import Base

HOUR_AND_A_BIT = 3700


def age(path, seconds=HOUR_AND_A_BIT):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_blob_no_row_names_is_an_orphan_and_is_swept(store, churn):
    sha = store.blobs.put_bytes(b"a model whose run was killed before it was recorded")
    stray = store.blobs.temp_path(".parquet")  # an import killed while writing
    for path in (store.blobs.path(sha), stray, store.blobs.path(churn.content_hash)):
        age(path)
    found = orphans.find(store)
    assert found.blobs == [store.blobs.path(sha)] and found.temporary == [stray]
    removed = orphans.sweep(store)
    assert removed.count == 2
    assert not store.blobs.exists(sha) and not stray.exists()
    assert store.blobs.exists(churn.content_hash)  # the dataset's own file stays
    assert orphans.find(store, grace=timedelta(0)).count == 0


def test_a_fresh_orphan_waits_out_the_grace_period(store):
    sha = store.blobs.put_bytes(b"perhaps an import that is about to commit")
    assert orphans.sweep(store).count == 0 and store.blobs.exists(sha)
    assert orphans.find(store, grace=timedelta(0)).blobs == [store.blobs.path(sha)]


def test_a_blob_reused_by_a_new_write_is_no_longer_old(store):
    data = b"the same bytes stored again by a second import"
    sha = store.blobs.put_bytes(data)
    age(store.blobs.path(sha))
    assert store.blobs.put_bytes(data) == sha  # not written again, but touched
    assert orphans.find(store).count == 0


def test_a_swept_blob_is_stored_again_when_reused(store):
    data = b"swept between the existence check and the touch"
    sha = store.blobs.put_bytes(data)
    age(store.blobs.path(sha))
    orphans.sweep(store)
    assert store.blobs.put_bytes(data) == sha and store.blobs.exists(sha)


def test_open_store_sweeps_at_most_once_a_day(home):
    store = open_store()
    sha = store.blobs.put_bytes(b"left by a killed worker")
    age(store.blobs.path(sha))
    store.close()
    open_store().close()  # swept a moment ago (the first open): the orphan is kept for now
    assert store.blobs.exists(sha)
    age(store.blobs.root / orphans.MARKER, 25 * 3600)
    open_store().close()
    assert not store.blobs.exists(sha)


def test_every_column_that_holds_a_blob_address_is_known():
    known = {(c.class_.__tablename__, c.key) for c in orphans.BLOB_COLUMNS}
    looks_like_one = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if (isinstance(column.type, String) and column.type.length == 64)
        or "blob" in column.name
        or "hash" in column.name
    }
    # a new column holding a blob address must join BLOB_COLUMNS, or its blobs get swept
    assert looks_like_one == known

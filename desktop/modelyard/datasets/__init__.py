"""Bringing data in: read files, infer their schema, store them as versioned Parquet blobs."""

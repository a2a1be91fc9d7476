"""Runs and what they record: status, params, metrics."""

"""Deployment bundles: a folder that serves a model version, and proof that it is unchanged."""

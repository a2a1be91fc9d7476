"""The model registry: named models, their versions, safe persistence."""

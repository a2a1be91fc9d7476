"""Training: trainer specs, the worker process, and launching it."""

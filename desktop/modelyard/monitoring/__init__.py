"""Watching registered models in production: drift, performance, feedback, alerts, retraining."""

"""The Monitoring page: drift checks, performance, history, alert rules and retraining."""

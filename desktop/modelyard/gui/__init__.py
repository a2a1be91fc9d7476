"""The Qt desktop app: a thin view over the same services the CLI calls."""

"""The sweeps page and the widgets only it uses."""

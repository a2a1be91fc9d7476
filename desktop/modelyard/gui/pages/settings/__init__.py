"""The settings page and the widgets only it uses."""

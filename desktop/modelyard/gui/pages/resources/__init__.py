"""The resources page and the widgets only it uses."""

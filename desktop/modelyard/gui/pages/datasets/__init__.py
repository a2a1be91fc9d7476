"""The datasets page and the widgets only it uses."""

"""The runs page and the widgets only it uses."""

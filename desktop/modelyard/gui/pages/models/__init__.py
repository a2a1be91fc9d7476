"""The models page and the widgets only it uses."""

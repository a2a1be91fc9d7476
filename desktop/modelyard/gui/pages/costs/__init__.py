"""The costs page and the widgets only it uses."""

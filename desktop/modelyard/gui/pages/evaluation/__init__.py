"""The evaluation page and the widgets only it uses."""

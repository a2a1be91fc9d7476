"""The deployments page and the widgets only it uses."""

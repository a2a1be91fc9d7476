"""The `modelyard` command line: the headless twin of the GUI."""

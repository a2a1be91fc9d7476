"""Modelyard: the whole machine-learning lifecycle on your own machine."""

__version__ = "0.1.0"

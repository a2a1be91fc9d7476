"""The version, in a module of its own so that any layer can read it without importing the
package root (which loads the SDK facade on first use)."""

__version__ = "0.1.0"

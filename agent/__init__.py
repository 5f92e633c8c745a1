"""agent: an offline-first, self-refactoring coding workspace."""

__version__ = "0.1.0"

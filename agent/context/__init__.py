"""Whole-repository context: scan, parse, rank and pack under a token budget."""

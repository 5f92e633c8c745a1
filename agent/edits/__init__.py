"""Edits the model writes: search/replace pairs in JSON, applied exactly or tolerantly."""

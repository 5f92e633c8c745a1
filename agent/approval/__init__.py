"""Approvals: the terminal review, signatures bound to content hashes, the hash-chained audit log."""

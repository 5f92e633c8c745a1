"""Policy files: protected paths, trusted signers, auto-approval rules, sandbox limits."""

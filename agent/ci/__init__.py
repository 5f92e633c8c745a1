"""CI bot mode: propose a run unattended, let maintainers sign on the branch, apply when it holds."""

"""Running a target's checks in a sandbox: images, runners (Docker, bubblewrap, local), results.

Callers use ``open_runner`` (factory) and ``run_checks`` (checks) only."""

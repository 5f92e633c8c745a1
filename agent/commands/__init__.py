"""One module per room of the command line; ``agent/cli.py`` wires them together."""

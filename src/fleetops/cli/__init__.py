"""The `fleetops` command line: one module per domain, wired together in main.py."""

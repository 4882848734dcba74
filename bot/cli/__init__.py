"""The `medsync` command: one module per command group, assembled in bot/cli/main.py."""

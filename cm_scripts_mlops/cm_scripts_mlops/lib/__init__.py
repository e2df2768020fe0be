"""Shared helpers used by the scripts' customize.py files (stdlib only, importable anywhere)."""

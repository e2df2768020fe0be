"""Dockerfiles for scripts: :mod:`.generate` writes them, :mod:`.check` checks their syntax."""

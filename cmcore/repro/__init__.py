"""Reproducibility: lockfiles of resolved script graphs, drift checks and replay.

``cm run script ... --lock=cm-lock.json`` records every script run of the workflow (see
:mod:`cmcore.repro.plugin`); ``cm replay script cm-lock.json [--strict]`` checks the lock
against this machine (:mod:`cmcore.repro.drift`) and re-runs it (:mod:`cmcore.repro.replay`).
The lock format is described in :mod:`cmcore.repro.lockfile`. Nothing is imported here, so
loading the built-in plugin costs nothing at start-up.
"""

"""Documentation generated from metas and recorded runs.

* :mod:`cmcore.docgen.script` - a script's README (tags, variations by group, flags, env,
  dependencies and their resolved tree, exported keys, example commands);
* :mod:`cmcore.docgen.catalog` - a catalogue of every script of a repository;
* :mod:`cmcore.docgen.appendix` - an Artifact Appendix (ACM / cTuning format) for a recorded result.
"""

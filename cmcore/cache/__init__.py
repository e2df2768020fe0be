"""The cache of script results (CM-FORMAT §3.12, §4.1).

* :mod:`cmcore.cache.keys`: :class:`CacheKey` (what determines a result, hashed) and
  :func:`script_content_hash`.
* :mod:`cmcore.cache.store`: :class:`CacheStore`: lookup, locked reservation, atomic publish,
  listing, removal. Entries live in ``<home>/repos/local/cache/<uid>/``.
* :mod:`cmcore.cache.plugin`: ``detect(component, session)``, the ``cm_detect`` answer for scripts.
* :mod:`cmcore.cache.automation`: the ``cache`` automation (``cm show|find|rm|prune cache``).

Nothing here is imported at CLI start-up; the built-in plugin imports it on first use.
"""

"""The results ecosystem: official MLPerf results import and comparison, result sinks.

* :mod:`cmcore.ecosystem.sinks`: send each recorded result to trackers (``cm_result_sinks``).
* :mod:`cmcore.ecosystem.official`: import a published ``inference_results_vX.Y`` tree.
* :mod:`cmcore.ecosystem.similar`: place a local run beside official results of similar systems.
"""

"""The platform: find the most efficient way to run a model on the hardware at hand.

Modules, each one job:

* :mod:`.constraints`: ``"accuracy>=0.97,latency_p90_ms<=5"`` parsed without eval;
* :mod:`.space`: the search space this machine offers (devices x backends x precision x
  threads x batch);
* :mod:`.metrics`: derived metrics (cost per million inferences, energy per inference);
* :mod:`.pareto`: the Pareto front and the recommendation under constraints;
* :mod:`.search`: exhaustive and budgeted search (successive halving over short runs);
* :mod:`.points`: running one point through the MLPerf harness, with the result store as cache;
* :mod:`.explore`: the whole best-stack search (what ``cmr "explore mlperf inference"`` runs);
* :mod:`.plot`, :mod:`.report`, :mod:`.summary`: SVG/PNG plot, HTML report, terminal summary;
* :mod:`.progress`: progress bars on a TTY, one line per item otherwise;
* :mod:`.executors`: picking a sweep executor (``local``, ``ray``) from the plugins.
"""

"""MLflow result sink for Collective Mind: ``CM_RESULT_SINKS=mlflow`` (or ``--sink=mlflow``)."""

__version__ = "0.1.0"

"""cm-executor-ray: run sweep points (experiment steps, explore points) as Ray tasks."""

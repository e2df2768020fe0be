"""A real Ray cluster on 127.0.0.1 for the tests (cm_executor_ray.testing), and the CM fixtures."""

from __future__ import annotations

from cm_executor_ray.testing import ray_cluster  # noqa: F401  (fixture)

from cmcore.testing import cm_cli, cm_home, cm_session  # noqa: F401  (fixtures)

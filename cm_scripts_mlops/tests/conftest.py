import sys
from pathlib import Path

pytest_plugins = ["cmcore.testing"]

# Let the tests import the local helper modules (httpserver, e2e helpers) by name.
sys.path.insert(0, str(Path(__file__).parent))

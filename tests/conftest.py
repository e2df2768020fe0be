pytest_plugins = ["cmcore.testing"]

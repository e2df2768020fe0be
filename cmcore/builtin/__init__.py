"""Built-in plugins: registered in-process through the same manager as third-party ones."""

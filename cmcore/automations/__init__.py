"""Built-in automations: the words of the CM language (repo, script, cache, experiment)."""

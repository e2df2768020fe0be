"""The experiment automation: explore a command over parameter grids (CM-FORMAT §4.2)."""

"""Performance bench of the Inventaire: `python -m bench` (see bench/__main__.py)."""

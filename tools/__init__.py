"""Developer tools run from the repository (never installed with the application)."""

"""The public register (the Inventaire): publication, life cycle, search, the fiche page and
France compétences' open data."""

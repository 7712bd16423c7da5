"""The register as open data: France compétences' FICHE format (fiche.py), an entry ↔ a fiche
(mapping.py), the XML and CSV exports (export.py) and the import of their export (importer.py).

Nothing is imported here, so that engine.register.publication can use fiche.py without a cycle.
"""

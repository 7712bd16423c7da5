"""The register as open data: France compétences' FICHE format (fiche.py); a fiche read
(reading.py) and written (writing.py), an entry as an export reads it (entry.py); the XML and
CSV exports (export.py); the import of their export (importer.py: the loop and the register's
rows; import_file.py: the file's checks; import_report.py: the report).

Nothing is imported here, so that engine.register.publication can use fiche.py without a cycle.
"""

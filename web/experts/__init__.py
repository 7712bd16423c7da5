"""The avis d'experts: the staff's forms and downloads on a dossier's page (`views`), and the
expert's own pages, opened by the link of their invitation (`expert`)."""

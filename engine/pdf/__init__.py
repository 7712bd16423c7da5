"""The documents an administration sends, as PDF: the acknowledgement of a dépôt, the decision
letters, the attestations of the register (engine/pdf/modeles/, HTML templates rendered by
WeasyPrint with the DSFR's Marianne fonts and, for an official service, its bloc-marque).

A diagram's element names the documents it produces (BPMN property `document`, like
`courriel`); completing it writes a `document` job in the same transaction, with what the
letter says as of then; the worker renders it, keeps it among the dossier's pieces and records
its SHA-256 in the dossier's history (`generation`).
"""

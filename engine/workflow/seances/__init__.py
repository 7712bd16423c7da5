"""The commission's séances: their calendar (`calendar`), the form list that inscribes a dossier
(`choice`), the dossiers put on an agenda one at a time or in bulk (`inscription`), moving the
waits of a séance's dossiers (`moving`), and what the ordre du jour and the procès-verbal show
(`pages`, `documents`)."""

"""A dossier's messagerie (messages between its submitters and the staff) and the staff's
annotations privées: writing them (`writing`), reading them on the dossier's page and counting
what is unread in the lists (`reading`), the read marks (`read_marks`), their pieces jointes
(`pieces`). Who may do what is in engine/workflow/access.py."""

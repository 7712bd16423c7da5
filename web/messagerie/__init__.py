"""The messagerie and the annotations privées on the dossier pages: the forms' routes and the
pieces jointes' downloads (`views`), the part of the dossier page they fill (`page`)."""

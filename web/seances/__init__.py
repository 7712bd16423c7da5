"""The séances' pages: the calendar, a séance with its ordre du jour and the dossiers to put on
it, its procès-verbal, and their PDFs (`views`); the secretariat's changes (`actions`)."""

from web.seances import actions as actions
from web.seances.views import bp

__all__ = ["bp"]

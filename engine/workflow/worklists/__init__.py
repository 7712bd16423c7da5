"""The worklists at volume: the dossiers' search index, the filters of *Bannette* and *Tous les
dossiers*, saved views, bulk actions and exports (docs/worklists.md)."""

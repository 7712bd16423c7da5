"""Dossiers moving through their process: the user actions, work items, access rules,
follow-ups, pieces, the pages' read models and version migration."""

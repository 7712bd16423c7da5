"""The process owner's studio: shared drafts, scenarios and their replay, the demo data."""

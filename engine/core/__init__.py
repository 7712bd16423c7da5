"""The ground everything stands on: the database and its models, errors, time, actors, the
audit trail, counters, migrations."""

"""Persistence: models, engine, migrations and the repositories that run the queries."""

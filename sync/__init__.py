"""HQ server (FastAPI on PostgreSQL or SQLite) and the station's sync client, worker and status."""

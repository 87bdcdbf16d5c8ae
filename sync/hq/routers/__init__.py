"""HTTP routes of the HQ API, grouped by concern (FastAPI "bigger applications" layout)."""

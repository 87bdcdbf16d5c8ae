"""The patients' own app (Flet web), served by HQ at /app/: card, points, appointments, aftercare, privacy."""

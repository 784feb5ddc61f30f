"""Lookups: /session, /resolution, /decision, /doc, /event, /upcoming, /start, /help, /lang."""

"""Health check and the language switch."""

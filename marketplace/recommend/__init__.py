"""Recommendations: the application's rows adapted into the matching library's records, and served."""

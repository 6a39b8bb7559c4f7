"""Personal data on request and over time (PIPL): export, erasure and anonymisation, retention."""

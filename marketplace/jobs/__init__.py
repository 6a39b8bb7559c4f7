"""Background jobs: a row per job in the database (the truth pages read), the work carried by SAQ on Redis
or, for the embedded demo, by a thread of the web process (docs/jobs.md)."""

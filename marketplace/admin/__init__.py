"""The street admins' pages: the admin home, API tokens and the audit log."""

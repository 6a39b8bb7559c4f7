"""Who is asking and what they may do: sessions, API tokens, CSRF, guards, headers, client addresses."""

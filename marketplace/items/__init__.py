"""The item vocabulary as the street keeps it: admins edit it, offers and resource lines are resolved against it."""

"""Matching rounds: an optimal plan for the whole street, proposed to the admins."""

"""Builders that add one part of a street to a plan: places, skills, partners, people, offers, needs, history."""

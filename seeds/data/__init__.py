"""Curated lists where Faker's output would not be believable: places, skills, partners, needs, offers."""

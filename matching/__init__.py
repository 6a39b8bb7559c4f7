"""The matching library: plain records in, ranked and explained candidates out.

It imports nothing from the web application, Litestar or SQLModel; the application adapts its
rows into the records of ``matching.records``.
"""

from matching.explain import Ranked, Reason
from matching.offers import OfferIndex
from matching.records import GridPoint, LineNeed, Offer, ShiftNeed, Volunteer, WeeklyWindow
from matching.text import TextSpace
from matching.volunteers import DEFAULT_WEIGHTS, VolunteerIndex

__all__ = [
    "DEFAULT_WEIGHTS",
    "GridPoint",
    "LineNeed",
    "Offer",
    "OfferIndex",
    "Ranked",
    "Reason",
    "ShiftNeed",
    "TextSpace",
    "Volunteer",
    "VolunteerIndex",
    "WeeklyWindow",
]

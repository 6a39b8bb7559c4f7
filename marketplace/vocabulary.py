"""The street's shared vocabulary: categories, resource kinds, intake channels, urgency.

Each enum value is stable (stored, sent in the API); its label is translated where it is shown.
"""

from enum import StrEnum

from marketplace.i18n import N_, InContext, translate


class LabelledEnum(StrEnum):
    """A string enum whose members carry a translatable label."""

    @property
    def label(self) -> str:
        return translate(_LABELS[type(self).__name__][self.value])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class Category(LabelledEnum):
    RENOVATION = "renovation"
    SANITATION = "sanitation"
    ELDERLY_CARE = "elderly_care"
    TRAVEL_SAFETY = "travel_safety"
    CULTURE_SPORTS = "culture_sports"
    EPIDEMIC_PREVENTION = "epidemic_prevention"
    MEDIATION = "mediation"
    LIVELIHOOD = "livelihood"
    EDUCATION = "education"
    HEALTH = "health"


class ResourceKind(LabelledEnum):
    MATERIAL = "material"
    SERVICE = "service"
    VENUE = "venue"
    FUNDS = "funds"
    EXPERTISE = "expertise"


class IntakeChannel(LabelledEnum):
    DOOR_VISIT = "door_visit"
    GRID_WALK = "grid_walk"
    HOTLINE_12345 = "hotline_12345"
    E_HOME = "e_home"
    RED_TEA_HOUSE = "red_tea_house"
    WALK_IN = "walk_in"


class Urgency(LabelledEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


# A label is a message (``N_``), or one with its context (``NC_``) where the English word is said two ways.
_LABELS: dict[str, dict[str, str | InContext]] = {
    "Category": {
        "renovation": N_("Old residential area renovation"),
        "sanitation": N_("Environment and sanitation"),
        "elderly_care": N_("Elderly and disabled care"),
        "travel_safety": N_("Travel safety"),
        "culture_sports": N_("Culture and sports"),
        "epidemic_prevention": N_("Epidemic prevention"),
        "mediation": N_("Conflict mediation"),
        "livelihood": N_("Livelihood aid"),
        "education": N_("Education and youth"),
        "health": N_("Health services"),
    },
    "ResourceKind": {
        "material": N_("Material"),
        "service": N_("Service"),
        "venue": N_("Venue"),
        "funds": N_("Funds"),
        "expertise": N_("Expertise"),
    },
    "IntakeChannel": {
        "door_visit": N_("Door-to-door visit"),
        "grid_walk": N_("Grid walk"),
        "hotline_12345": N_("12345 hotline"),
        "e_home": N_("Party-masses e-home platform"),
        "red_tea_house": N_("Red tea house council"),
        "walk_in": N_("Walk-in"),
    },
    "Urgency": {
        "low": N_("Low"),
        "normal": N_("Normal"),
        "high": N_("High"),
        "critical": N_("Critical"),
    },
}


def register_labels(enum_name: str, labels: dict[str, str | InContext]) -> None:
    """Domains register the labels of their own status enums here."""
    _LABELS[enum_name] = labels

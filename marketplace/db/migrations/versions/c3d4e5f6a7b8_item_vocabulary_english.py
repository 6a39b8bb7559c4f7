"""item vocabulary in English: the curated items' common English (and a few Chinese) synonyms; keys resolved again

The resolver now reads every English word in the singular (``matching.vocabulary.normal``: "LED stairwell
lamps" is "led stairwell lamp"), and the curated list (seeds/data/item_vocabulary.tsv) gained the English
names partners write that it lacked ("stairwell lamp", "LED lamp", "letter box", "bin liner"...). A database
created before has its own copy of the list in ``item_term``, which admins may have edited: this revision
adds to each curated item still there the spellings below that it does not have (an admin's own synonyms,
edits and retirements stay; a spelling another live item of the same category and kind already uses is left
out, as the admin pages would refuse it), then resolves every offer's and line's key again with the new rule.
The spellings are written here as this revision ships them, not read from the list, which may change later.

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "c3d4e5f6a7b8"
down_revision: str | None = "b2c3d4e5f6a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDED: dict[str, tuple[str, ...]] = {
    "brick": ("clay brick", "concrete brick", "building brick"),
    "permeable_brick": ("permeable paver", "porous paving brick", "透水砖块"),
    "floor_tile": ("ceramic tile", "地面砖"),
    "cement": ("bagged cement", "cement bag"),
    "mortar": ("cement mortar", "dry-mix mortar", "plaster mortar"),
    "sand": ("river sand", "construction sand"),
    "interior_paint": ("interior paint", "latex paint", "水性漆"),
    "exterior_paint": ("facade paint", "textured stone paint"),
    "waterproofing": ("waterproofing", "waterproof coating", "waterproofing roll"),
    "insulation_board": ("foam board", "rock wool board", "保温板材"),
    "stairwell_light": (
        "stairwell lamp",
        "LED stairwell light",
        "staircase light",
        "stair light",
        "corridor light",
        "hallway light",
        "sound-activated light",
        "voice-activated light",
        "sensor light",
        "楼梯灯",
        "走廊灯",
        "楼道感应灯",
    ),
    "light_bulb": (
        "LED bulb",
        "LED lamp",
        "LED tube",
        "fluorescent tube",
        "energy-saving lamp",
        "energy-saving bulb",
        "球泡灯",
        "LED球泡灯",
    ),
    "stair_handrail": ("stair handrail", "stair rail", "stair railing", "banister", "楼梯栏杆"),
    "downpipe": ("rainwater pipe", "drainpipe", "downspout", "rain pipe"),
    "water_pipe": ("supply pipe", "PPR pipe", "PE pipe", "water supply pipe"),
    "electric_wire": ("electric wire", "electrical cable", "power cable", "sheathed cable"),
    "window": ("window frame", "aluminium window", "PVC window"),
    "entrance_door": ("building door", "security door", "unit door", "intercom door"),
    "mailbox": ("letter box", "letterbox", "post box", "smart mailbox", "信报箱柜"),
    "bike_shed": ("bicycle shelter", "e-bike shed", "bike canopy"),
    "asphalt": ("bitumen", "asphalt paving"),
    "rebar": ("reinforcing bar", "reinforcing steel", "steel bar"),
    "timber": ("wood", "wooden board", "plank"),
    "pavilion_repair": ("gazebo repair", "亭子修缮"),
    "drain_clearing": ("drain unblocking", "pipe dredging", "sewer dredging"),
    "wall_repainting": ("wall painting", "repaint walls", "wall refurbishment"),
    "roof_repair": ("leak repair", "roof waterproofing repair"),
    "lift_retrofit": ("elevator installation", "elevator retrofit"),
    "renovation_design": ("renovation plan", "architectural design"),
    "site_supervision": ("project supervision", "works supervision"),
    "cleaning_kit": ("broom", "mop", "cleaning set", "cleaning supplies"),
    "sorting_bin": ("recycling bin", "rubbish bin", "dustbin", "garbage can"),
    "garbage_bag": ("rubbish bag", "bin liner", "refuse sack", "biodegradable bag"),
    "sorting_poster": ("waste-sorting poster", "recycling poster"),
    "work_gloves": ("safety gloves", "protective gloves", "cut-resistant gloves"),
    "seedlings": ("young tree", "tree seedling", "flower seedlings"),
    "planter": ("flower pot", "flowerpot", "flower box", "planter box", "plant pot"),
    "compost_bin": ("composter", "kitchen-waste composter", "compost box"),
    "waste_truck": (
        "waste truck",
        "rubbish removal",
        "garbage truck",
        "bulky-waste removal",
        "construction waste removal",
    ),
    "green_upkeep": ("lawn mowing", "gardening", "hedge trimming", "tree pruning"),
    "pest_control": ("pest extermination", "rodent control", "cockroach control", "rat control"),
    "clean_up": ("neighborhood cleanup", "community clean-up", "cleaning"),
    "meal_fund": ("meal allowance",),
    "meal_delivery": ("meal service", "lunch delivery", "food delivery for the elderly"),
    "home_adaptation": (
        "home adaptation",
        "accessibility retrofit",
        "barrier-free adaptation",
        "elderly-friendly renovation",
    ),
    "grab_bar": ("safety grab bar", "bathroom grab bar", "safety handrail", "toilet grab bar"),
    "wheelchair": ("folding wheelchair", "electric wheelchair"),
    "walking_aid": ("walking frame", "zimmer frame", "crutch", "cane"),
    "adult_diapers": ("adult nappies", "incontinence pants", "underpads"),
    "call_button": ("alarm button", "panic button", "personal alarm", "emergency pendant"),
    "nursing_bed": ("care bed", "hospital bed", "medical bed"),
    "training_room": ("training venue",),
    "activity_room": ("activity room", "seniors' centre", "elderly activity centre"),
    "home_visit": ("house call", "companionship", "befriending"),
    "haircut": ("hairdressing", "barber service"),
    "speed_bump": ("speed hump", "rubber speed bump", "speed breaker"),
    "street_lamp": ("street lighting", "lamp post", "lamppost", "路灯杆"),
    "solar_street_lamp": ("solar light", "solar-powered street lamp", "solar streetlight"),
    "led_street_lamp": ("LED streetlight", "LED road lamp"),
    "courtyard_lamp": ("courtyard light", "lawn lamp", "landscape light", "garden lamp", "庭院照明灯"),
    "ebike_charger": ("e-bike charging point", "charging pile", "electric bike charger"),
    "manhole_cover": ("drain cover", "inspection cover", "gully grate", "井盖板"),
    "traffic_cone": ("road cone", "safety cone"),
    "convex_mirror": ("traffic mirror", "corner mirror", "blind-spot mirror"),
    "warning_sign": ("safety sign", "caution sign", "signboard", "signage"),
    "guardrail": ("safety barrier", "railing", "crash barrier"),
    "fire_extinguisher": ("extinguisher", "dry powder extinguisher", "fire equipment"),
    "parking_marking": ("line painting", "parking line marking"),
    "multipurpose_hall": ("multipurpose hall", "assembly hall", "lecture hall", "screening room"),
    "sports_ground": ("basketball court", "sports court", "playing field"),
    "sound_system": ("loudspeaker", "microphone", "amplifier", "audio equipment"),
    "culture_fund": ("culture fund", "activity funds", "culture event funding"),
    "fitness_equipment": ("exercise equipment", "outdoor fitness equipment", "gym equipment"),
    "table_tennis_table": ("pingpong table",),
    "costumes": ("stage costume", "dance costume"),
    "instruments": ("erhu", "drums", "gongs and drums"),
    "performance": ("art performance", "gala"),
    "protective_kit": ("protective suit", "protective clothing", "isolation gown", "hazmat suit"),
    "face_masks": ("mask", "surgical mask", "medical mask", "disposable mask", "N95 mask"),
    "disinfectant": ("disinfectant liquid", "chlorine disinfectant", "alcohol", "sanitising solution"),
    "hand_sanitiser": ("hand wash", "hand gel", "hand soap", "hand sanitising gel"),
    "thermometer": ("forehead thermometer", "thermometer gun", "temperature gun"),
    "antigen_test": ("rapid test", "COVID test kit", "test kit"),
    "daily_necessities": ("daily necessities pack", "supply pack", "care package", "essentials pack"),
    "leaflet": ("pamphlet", "handbill", "folded leaflet"),
    "sprayer": ("disinfection sprayer", "electric sprayer", "spray bottle", "fogger"),
    "disinfection": ("sanitising", "fumigation"),
    "shuttle_vehicle": ("shuttle bus", "minibus", "chartered bus", "pick-up service"),
    "mediation": ("dispute mediation", "conflict mediation", "dispute resolution"),
    "legal_advice": ("legal consultation", "legal counselling", "free legal advice", "lawyer consultation"),
    "counselling": ("psychological counselling", "psychological support", "mental health support"),
    "meeting_room": ("meeting space", "conference room", "council room"),
    "hardship_fund": ("hardship relief", "relief fund", "assistance fund"),
    "grain_oil_pack": ("rice", "flour", "cooking oil", "grain and oil"),
    "winter_clothing": ("winter clothes", "cotton-padded jacket", "quilt", "down jacket", "winter coat", "blanket"),
    "job_training": ("skills training", "employment training", "job training"),
    "water_main_repair": ("pipe network repair", "water supply repair"),
    "appliance_repair": ("household appliance repair", "electrical appliance repair", "appliance fixing"),
    "home_repair": ("electrical repair", "household repair", "home repair"),
    "housekeeping": ("domestic help", "home cleaning", "house cleaning", "cleaning at home"),
    "after_school_room": ("study room", "homework room"),
    "safety_talk": ("safety lecture", "safety education", "drowning prevention talk", "road safety talk"),
    "childrens_books": ("storybook", "kids' books"),
    "tutoring": ("homework help", "tutor", "academic tutoring"),
    "school_supplies": ("school bag", "schoolbag", "pencil case", "notebooks", "stationery set"),
    "desks": ("school desk", "chair", "table and chair"),
    "computers": ("desktop computer", "tablet computer", "notebook computer"),
    "study_grant": ("bursary", "student grant", "student aid"),
    "health_talk": ("health lecture", "health education talk", "wellness talk"),
    "aed": ("automated external defibrillator", "AED machine"),
    "home_health_check": ("home health check", "free clinic", "medical check-up", "physical examination"),
    "blood_pressure_monitor": ("electronic blood pressure monitor", "sphygmomanometer", "BP monitor"),
    "glucose_meter": ("blood glucose meter", "glucometer", "blood sugar meter"),
    "first_aid_kit": ("first aid box", "medical kit", "emergency kit"),
    "first_aid_training": ("CPR training", "emergency rescue training"),
    "health_station": ("health hut", "community health station"),
}

_ITEM_TERM = sa.table(
    "item_term",
    sa.column("id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("category", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("name_zh", sa.String()),
    sa.column("name_en", sa.String()),
    sa.column("synonyms", json_type()),
    sa.column("units", json_type()),
    sa.column("retired_at", UTCDateTime()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UTCDateTime()),
)


def upgrade() -> None:
    from matching.vocabulary import normal

    bind = op.get_bind()
    rows = bind.execute(sa.select(_ITEM_TERM)).all()
    live = [row for row in rows if row.retired_at is None]
    # Who names what, per category and kind, as the resolver reads it.
    taken: dict[tuple[str, str, str], str] = {}
    for row in live:
        for text in (row.name_zh, row.name_en, *row.synonyms):
            taken.setdefault((row.category, row.kind, normal(text)), row.key)
    now = datetime.now(UTC)
    for row in rows:
        added = []
        for text in _ADDED.get(row.key, ()):
            place = (row.category, row.kind, normal(text))
            if taken.setdefault(place, row.key) != row.key:
                continue  # another live item of this category and kind has it: it would not tell them apart
            if not any(normal(own) == place[2] for own in (row.name_zh, row.name_en, *row.synonyms, *added)):
                added.append(text)
        if added:
            bind.execute(
                sa.update(_ITEM_TERM)
                .where(_ITEM_TERM.c.id == row.id)
                .values(synonyms=[*row.synonyms, *added], version=row.version + 1, updated_at=now)
            )
    _reresolve(bind)


def _reresolve(bind: sa.Connection) -> None:
    """Every offer's and line's key with the live items and the new rule (only changed rows written)."""
    from matching.vocabulary import ItemEntry, ItemVocabulary

    terms = bind.execute(sa.select(_ITEM_TERM).where(_ITEM_TERM.c.retired_at.is_(None)).order_by(_ITEM_TERM.c.id))
    vocabulary = ItemVocabulary(
        ItemEntry(t.key, t.category, t.kind, t.name_zh, t.name_en, tuple(t.synonyms), tuple(t.units)) for t in terms
    )
    for table, texts in (("offer", ("title", "description")), ("resource_line", ("description",))):
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(texts)}, category, kind, unit, item_key FROM {table}"))
        for row in rows.all():
            texts_of = [getattr(row, name) or "" for name in texts]
            key = vocabulary.key_of_any(texts_of, row.category, row.kind, row.unit) or None
            if key != row.item_key:
                bind.execute(sa.text(f"UPDATE {table} SET item_key = :key WHERE id = :id"), {"key": key, "id": row.id})


def downgrade() -> None:
    # The spellings stay: they are reference data an admin may have relied on since, and remove nothing.
    pass

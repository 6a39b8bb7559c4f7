"""The skill taxonomy volunteers declare and shifts require: (code, group, Chinese name, English name)."""

SKILL_GROUPS: dict[str, tuple[str, str]] = {
    "care": ("关爱照护", "Care"),
    "medical": ("医疗健康", "Medical and health"),
    "repair": ("维修施工", "Repair and building"),
    "professional": ("专业服务", "Professional services"),
    "education": ("教育语言", "Education and languages"),
    "culture": ("文体宣传", "Culture, sports and publicity"),
    "logistics": ("后勤保障", "Logistics and order"),
}

SKILLS: tuple[tuple[str, str, str, str], ...] = (
    ("elderly_care", "care", "助老服务", "Elderly care"),
    ("disability_care", "care", "助残服务", "Disability care"),
    ("companionship", "care", "探访陪伴", "Visits and companionship"),
    ("meal_delivery", "care", "助餐送餐", "Meal delivery"),
    ("haircut", "care", "理发义剪", "Haircuts"),
    ("first_aid", "medical", "应急救护", "First aid"),
    ("nursing", "medical", "护理", "Nursing"),
    ("medical_consult", "medical", "义诊咨询", "Medical consultation"),
    ("psych_counselling", "medical", "心理咨询", "Psychological counselling"),
    ("electrician", "repair", "电工", "Electrician"),
    ("plumbing", "repair", "水暖维修", "Plumbing"),
    ("carpentry", "repair", "木工", "Carpentry"),
    ("painting", "repair", "粉刷", "Painting and decorating"),
    ("appliance_repair", "repair", "家电维修", "Appliance repair"),
    ("masonry", "repair", "瓦工铺装", "Masonry and paving"),
    ("legal_advice", "professional", "法律咨询", "Legal advice"),
    ("mediation", "professional", "矛盾调解", "Mediation"),
    ("accounting", "professional", "财务会计", "Accounting"),
    ("it_support", "professional", "电脑手机帮扶", "Computer and phone help"),
    ("tutoring", "education", "课业辅导", "Tutoring"),
    ("reading", "education", "阅读推广", "Reading promotion"),
    ("translation", "education", "翻译", "Translation"),
    ("sign_language", "education", "手语", "Sign language"),
    ("photography", "culture", "摄影摄像", "Photography"),
    ("performing", "culture", "文艺演出", "Performing arts"),
    ("calligraphy", "culture", "书法绘画", "Calligraphy and painting"),
    ("sports_coaching", "culture", "体育指导", "Sports coaching"),
    ("publicity", "culture", "宣传策划", "Publicity"),
    ("driving", "logistics", "驾驶", "Driving"),
    ("event_support", "logistics", "活动组织", "Event organisation"),
    ("order_keeping", "logistics", "秩序维护", "Keeping order"),
    ("garbage_sorting", "logistics", "垃圾分类指导", "Garbage sorting guidance"),
    ("cleaning", "logistics", "环境清洁", "Cleaning"),
    ("data_entry", "logistics", "信息登记", "Registration and data entry"),
)

# Skills more common among some volunteers (weights favour them when a volunteer's skills are drawn).
SEGMENT_SKILLS: dict[str, tuple[str, ...]] = {
    "party_member": ("order_keeping", "publicity", "mediation", "event_support", "data_entry", "companionship"),
    "veteran": ("order_keeping", "driving", "first_aid", "electrician", "garbage_sorting"),
    "youth": ("tutoring", "it_support", "photography", "translation", "reading", "performing"),
    "resident": ("cleaning", "companionship", "meal_delivery", "garbage_sorting", "haircut", "elderly_care"),
}

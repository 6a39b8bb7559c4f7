"""Red partners: the five of the Hudao story, and lines of business for generated organizations."""

from dataclasses import dataclass

from seeds.data.templates import OrganizationProfile as P


@dataclass(frozen=True)
class StoryPartner:
    key: str
    name: str
    name_en: str
    division: str
    address: str
    description: str
    offers: tuple[str, ...]


# The partners named in the Hudao Street story, with the offers they brought.
STORY_PARTNERS: tuple[StoryPartner, ...] = (
    StoryPartner(
        "sinotrans",
        "中国外运山东有限公司",
        "Sinotrans Shandong Co., Ltd.",
        "370202",
        "青岛市市南区香港中路",
        "综合物流企业，疫情期间组织党员车队为社区运送防疫和生活物资。",
        ("trucks", "shuttle"),
    ),
    StoryPartner(
        "xingda",
        "青岛兴达印务有限公司",
        "Qingdao Xingda Printing Co., Ltd.",
        "370203",
        "青岛市市北区开平路",
        "印刷企业，免费为街道印制垃圾分类、防疫宣传材料。",
        ("posters", "leaflets"),
    ),
    StoryPartner(
        "huatuo",
        "青岛华拓科技有限公司",
        "Qingdao Huatuo Technology Co., Ltd.",
        "370203",
        "青岛市市北区杭州支路",
        "科技企业，老旧小区改造中无偿修缮破损凉亭。",
        ("pavilion_repair",),
    ),
    StoryPartner(
        "jieda",
        "连云港捷达新能源有限公司",
        "Lianyungang Jieda New Energy Co., Ltd.",
        "320703",
        "江苏省连云港市连云区",
        "新能源企业，为社区捐赠太阳能路灯和电动自行车充电桩。",
        ("solar_lamps", "chargers"),
    ),
    StoryPartner(
        "lvfan",
        "青岛绿帆再生建材有限公司",
        "Qingdao Lvfan Recycled Building Materials Co., Ltd.",
        "370203",
        "青岛市市北区四流南路",
        "再生建材企业，为老旧小区改造捐赠3200平方米透水砖。",
        ("bricks",),
    ),
)

# Brand words of enterprise names, with pinyin.
BRANDS: tuple[tuple[str, str], ...] = (
    ("海润", "Hairun"),
    ("鑫源", "Xinyuan"),
    ("恒信", "Hengxin"),
    ("顺达", "Shunda"),
    ("瑞丰", "Ruifeng"),
    ("华诚", "Huacheng"),
    ("金海", "Jinhai"),
    ("宏远", "Hongyuan"),
    ("聚福", "Jufu"),
    ("安居", "Anju"),
    ("惠民", "Huimin"),
    ("泰和", "Taihe"),
    ("海晟", "Haisheng"),
    ("青扬", "Qingyang"),
    ("德润", "Derun"),
    ("嘉禾", "Jiahe"),
    ("昌盛", "Changsheng"),
    ("众诚", "Zhongcheng"),
    ("蓝海", "Lanhai"),
    ("康泰", "Kangtai"),
    ("鲁青", "Luqing"),
    ("万家", "Wanjia"),
    ("同心", "Tongxin"),
    ("博远", "Boyuan"),
    ("启航", "Qihang"),
    ("明德", "Mingde"),
    ("国泰", "Guotai"),
    ("新港", "Xingang"),
    ("胶澳", "Jiao'ao"),
    ("琴岛", "Qindao"),
)

# Lines of business; names are formatted with {brand} / {brand_en} / {area} / {area_en}.
PROFILES: tuple[P, ...] = (
    P(
        "property",
        "enterprise",
        "青岛{brand}物业管理有限公司",
        "Qingdao {brand_en} Property Management Co., Ltd.",
        ("pipe_clearing", "cleaning_kits", "meeting_room"),
        "物业服务企业，参与小区环境整治和设施维修。",
    ),
    P(
        "building",
        "enterprise",
        "青岛{brand}建筑工程有限公司",
        "Qingdao {brand_en} Construction Co., Ltd.",
        ("bricks", "handrails", "accessibility", "speed_bumps"),
        "建筑施工企业，承接老旧小区改造。",
    ),
    P(
        "paint",
        "enterprise",
        "青岛{brand}装饰材料有限公司",
        "Qingdao {brand_en} Decoration Materials Co., Ltd.",
        ("paint", "handrails"),
        "装饰材料企业。",
    ),
    P(
        "electric",
        "enterprise",
        "青岛{brand}电气工程有限公司",
        "Qingdao {brand_en} Electrical Engineering Co., Ltd.",
        ("led_lights", "solar_lamps", "chargers"),
        "电气安装企业。",
    ),
    P(
        "supermarket",
        "enterprise",
        "青岛{brand}超市有限公司",
        "Qingdao {brand_en} Supermarket Co., Ltd.",
        ("gift_packs", "supply_packs", "cleaning_kits"),
        "连锁超市，常年开展慰问帮扶。",
    ),
    P(
        "pharmacy",
        "enterprise",
        "青岛{brand}医药连锁有限公司",
        "Qingdao {brand_en} Pharmacy Chain Co., Ltd.",
        ("protective_kits", "health_talks"),
        "医药连锁企业。",
    ),
    P(
        "logistics",
        "enterprise",
        "青岛{brand}物流有限公司",
        "Qingdao {brand_en} Logistics Co., Ltd.",
        ("trucks", "shuttle", "supply_packs"),
        "物流运输企业。",
    ),
    P(
        "catering",
        "enterprise",
        "青岛{brand}餐饮管理有限公司",
        "Qingdao {brand_en} Catering Management Co., Ltd.",
        ("elderly_meals", "meal_fund"),
        "餐饮企业，承办社区长者食堂。",
    ),
    P(
        "appliance",
        "enterprise",
        "青岛{brand}家电服务有限公司",
        "Qingdao {brand_en} Appliance Services Co., Ltd.",
        ("appliance_repair",),
        "家电售后服务企业。",
    ),
    P(
        "bank",
        "enterprise",
        "青岛{brand}农村商业银行{area}支行",
        "{area_en} Sub-branch, Qingdao {brand_en} Rural Commercial Bank",
        ("meal_fund", "heating_fund", "classroom", "culture_fund"),
        "金融机构，开展金融知识进社区和公益捐助。",
    ),
    P(
        "printing",
        "enterprise",
        "青岛{brand}广告印刷有限公司",
        "Qingdao {brand_en} Advertising and Printing Co., Ltd.",
        ("posters", "leaflets"),
        "广告印刷企业。",
    ),
    P(
        "nursery",
        "enterprise",
        "青岛{brand}园林绿化有限公司",
        "Qingdao {brand_en} Landscaping Co., Ltd.",
        ("seedlings",),
        "园林绿化企业。",
    ),
    P(
        "fitness",
        "enterprise",
        "青岛{brand}体育用品有限公司",
        "Qingdao {brand_en} Sporting Goods Co., Ltd.",
        ("fitness", "sound_system"),
        "体育用品企业。",
    ),
    P(
        "law_firm",
        "enterprise",
        "山东{brand}律师事务所",
        "Shandong {brand_en} Law Firm",
        ("legal_hours", "mediators"),
        "律师事务所，律师定期驻社区提供公益法律服务。",
    ),
    P(
        "school",
        "institution",
        "市北区{area}小学",
        "{area_en} Primary School, Shibei District",
        ("study_room", "safety_lectures", "screening_venue"),
        "公办小学，开放场地并组织教师志愿者。",
    ),
    P(
        "kindergarten",
        "institution",
        "市北区{area}幼儿园",
        "{area_en} Kindergarten, Shibei District",
        ("books", "safety_lectures"),
        "公办幼儿园。",
    ),
    P(
        "clinic",
        "institution",
        "{area}社区卫生服务中心",
        "{area_en} Community Health Service Centre",
        ("health_talks", "home_checkups", "aed"),
        "基层医疗卫生机构，签约家庭医生服务。",
    ),
    P(
        "hospital",
        "institution",
        "青岛市市北区{area}医院",
        "{area_en} Hospital, Shibei District, Qingdao",
        ("home_checkups", "health_talks", "protective_kits"),
        "医院，组织医护志愿者义诊。",
    ),
    P(
        "library",
        "institution",
        "市北区图书馆{area}分馆",
        "{area_en} Branch, Shibei District Library",
        ("books", "study_room", "screening_venue"),
        "公共图书馆分馆。",
    ),
    P(
        "culture_centre",
        "institution",
        "市北区文化馆{area}分馆",
        "{area_en} Branch, Shibei District Cultural Centre",
        ("screening_venue", "culture_fund", "sound_system"),
        "公共文化服务机构。",
    ),
    P(
        "social_work",
        "social_organization",
        "青岛市市北区{brand}社会工作服务中心",
        "Qingdao Shibei {brand_en} Social Work Service Centre",
        ("mediators", "accessibility", "job_training"),
        "专业社工机构，承接社区服务项目。",
    ),
    P(
        "elderly_centre",
        "social_organization",
        "市北区{brand}养老服务中心",
        "Shibei {brand_en} Elderly Care Service Centre",
        ("elderly_meals", "accessibility", "classroom"),
        "民办养老服务机构。",
    ),
    P(
        "volunteer_assoc",
        "social_organization",
        "市北区{area}志愿者协会",
        "{area_en} Volunteers' Association, Shibei District",
        ("cleaning_kits", "meeting_room"),
        "志愿服务组织。",
    ),
    P(
        "foundation",
        "social_organization",
        "青岛市{brand}公益基金会",
        "Qingdao {brand_en} Charity Foundation",
        ("meal_fund", "heating_fund", "culture_fund"),
        "公益基金会，资助社区民生项目。",
    ),
    P(
        "mediation_assoc",
        "social_organization",
        "市北区{area}人民调解协会",
        "{area_en} People's Mediation Association, Shibei",
        ("mediators", "legal_hours"),
        "调解组织。",
    ),
    P(
        "party_company",
        "party_organization",
        "中共青岛{brand}集团有限公司委员会",
        "CPC Committee of Qingdao {brand_en} Group Co., Ltd.",
        ("culture_fund", "gift_packs", "meeting_room"),
        "企业党委，组织在职党员到社区报到。",
    ),
    P(
        "party_organ",
        "party_organization",
        "中共市北区{area}机关支部委员会",
        "CPC Branch of the {area_en} Government Offices, Shibei",
        ("meeting_room", "legal_hours"),
        "机关党支部，党员双报到参与社区治理。",
    ),
    P(
        "party_school",
        "party_organization",
        "中共市北区{area}学校联合支部委员会",
        "CPC Joint Branch of {area_en} Schools, Shibei",
        ("study_room", "safety_lectures"),
        "学校党支部，党员教师参与社区教育服务。",
    ),
)

PROFILES_BY_KIND: dict[str, tuple[P, ...]] = {
    kind: tuple(p for p in PROFILES if p.kind == kind)
    for kind in ("enterprise", "institution", "social_organization", "party_organization")
}

REJECTION_REASONS = (
    "登记证书已注销，信用代码与名称不符",
    "提交材料不全，联系人无法取得联系",
)
SUSPENSION_REASONS = (
    "认领项目后多次未按时履约，暂停合作待整改",
    "被列入经营异常名录，暂停合作",
)

"""Hudao Street's communities, residential compounds and roads; departments; road names for synthetic streets."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CommunitySpec:
    name: str
    name_en: str
    grids: int
    latitude: float
    longitude: float
    compounds: tuple[tuple[str, str], ...]
    roads: tuple[str, ...]
    # How many grids each of the community's party branches leads, in grid order.
    branches: tuple[int, ...] = ()


HUDAO_STREET = {
    "code": "370203-hudao",
    "name": "湖岛街道",
    "name_en": "Hudao Street",
    "district": "市北区",
    "district_en": "Shibei District",
    "city": "青岛市",
}

# 6 communities, 21 grids around Hudao, in the north of Shibei District (about 36.11 N, 120.35 E).
HUDAO_COMMUNITIES: tuple[CommunitySpec, ...] = (
    CommunitySpec(
        "湖岛社区",
        "Hudao Community",
        4,
        36.1175,
        120.3448,
        (("湖岛新村", "Hudao New Village"), ("湖岛三路小区", "Hudao 3rd Road Estate"), ("海晶花园", "Haijing Garden")),
        ("湖岛三路", "海岸路"),
        (2, 2),
    ),
    CommunitySpec(
        "杭州支路社区",
        "Hangzhou Branch Road Community",
        4,
        36.1128,
        120.3502,
        (
            ("杭州支路小区", "Hangzhou Branch Road Estate"),
            ("兴隆苑", "Xinglong Court"),
            ("杭州花园", "Hangzhou Garden"),
        ),
        ("杭州支路", "杭州路"),
        (2, 2),
    ),
    CommunitySpec(
        "开平路社区",
        "Kaiping Road Community",
        4,
        36.1079,
        120.3461,
        (("开平路小区", "Kaiping Road Estate"), ("康乐园", "Kangle Garden"), ("锦绣苑", "Jinxiu Court")),
        ("开平路", "萍乡路"),
        (2, 2),
    ),
    CommunitySpec(
        "瑞昌路社区",
        "Ruichang Road Community",
        3,
        36.1042,
        120.3527,
        (("瑞昌路老宿舍", "Ruichang Road Old Dormitories"), ("瑞海北苑", "Ruihai North Court")),
        ("瑞昌路", "四流南路"),
        (3,),
    ),
    CommunitySpec(
        "东吴家村社区",
        "Dongwujiacun Community",
        3,
        36.1216,
        120.3556,
        (("东吴家村小区", "Dongwujiacun Estate"), ("吴家新苑", "Wujia New Court")),
        ("东吴家村路", "四流南路"),
        (2, 1),
    ),
    CommunitySpec(
        "北岭社区",
        "Beiling Community",
        3,
        36.1251,
        120.3489,
        (("北岭新村", "Beiling New Village"), ("北岭山庄", "Beiling Villas")),
        ("北岭山路", "湖岛三路"),
        (3,),
    ),
)

# Functional departments that report when the street whistles (吹哨报到): (key, name, English name).
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("urban", "市北区城市管理局", "Shibei District Urban Management Bureau"),
    ("housing", "市北区住房和城乡建设局", "Shibei District Housing and Urban-Rural Development Bureau"),
    ("civil", "市北区民政局", "Shibei District Civil Affairs Bureau"),
    ("health", "市北区卫生健康局", "Shibei District Health Commission"),
    ("market", "市北区市场监督管理局", "Shibei District Market Supervision Administration"),
    ("emergency", "市北区应急管理局", "Shibei District Emergency Management Bureau"),
    ("education", "市北区教育和体育局", "Shibei District Education and Sports Bureau"),
    ("justice", "市北区司法局湖岛司法所", "Hudao Judicial Office, Shibei District Justice Bureau"),
    ("police", "青岛市公安局市北分局湖岛派出所", "Hudao Police Station, Shibei Public Security Sub-bureau"),
    ("environment", "青岛市生态环境局市北分局", "Shibei Sub-bureau, Qingdao Ecology and Environment Bureau"),
    ("water", "青岛水务集团市北供水服务中心", "Shibei Water Supply Service Centre, Qingdao Water Group"),
    ("heating", "青岛能源集团市北供热服务中心", "Shibei Heating Service Centre, Qingdao Energy Group"),
)

# Road names (with pinyin) for the communities of synthetic streets.
SYNTHETIC_ROADS: tuple[tuple[str, str], ...] = (
    ("辽宁路", "Liaoning Road"),
    ("延安路", "Yan'an Road"),
    ("台东一路", "Taidong 1st Road"),
    ("威海路", "Weihai Road"),
    ("华阳路", "Huayang Road"),
    ("延吉路", "Yanji Road"),
    ("敦化路", "Dunhua Road"),
    ("洛阳路", "Luoyang Road"),
    ("合肥路", "Hefei Road"),
    ("南京路", "Nanjing Road"),
    ("山东路", "Shandong Road"),
    ("福州北路", "Fuzhou North Road"),
    ("鞍山路", "Anshan Road"),
    ("抚顺路", "Fushun Road"),
    ("错埠岭", "Cuobuling"),
    ("新疆路", "Xinjiang Road"),
    ("四方路", "Sifang Road"),
    ("海泊路", "Haibo Road"),
    ("大港", "Dagang"),
    ("小港", "Xiaogang"),
    ("登州路", "Dengzhou Road"),
    ("镇江路", "Zhenjiang Road"),
    ("浮山后", "Fushanhou"),
    ("同安路", "Tong'an Road"),
    ("黑龙江路", "Heilongjiang Road"),
    ("重庆南路", "Chongqing South Road"),
    ("兴隆路", "Xinglong Road"),
    ("宁夏路", "Ningxia Road"),
    ("水清沟", "Shuiqinggou"),
    ("洛阳路东", "Luoyang Road East"),
    ("即墨路", "Jimo Road"),
    ("李村路", "Licun Road"),
    ("平度路", "Pingdu Road"),
    ("沈阳路", "Shenyang Road"),
    ("标山路", "Biaoshan Road"),
    ("嘉定路", "Jiading Road"),
    ("长春路", "Changchun Road"),
    ("吉林路", "Jilin Road"),
    ("哈尔滨路", "Harbin Road"),
    ("鄱阳湖路", "Poyanghu Road"),
)

# Compound name endings (with English) for synthetic communities.
COMPOUND_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("小区", "Estate"),
    ("新村", "New Village"),
    ("花园", "Garden"),
    ("宿舍", "Dormitories"),
    ("北苑", "North Court"),
)

STATION_OPENING_HOURS = ("周一至周五 8:30-17:30", "周一至周六 8:30-17:30", "每日 8:00-20:00")

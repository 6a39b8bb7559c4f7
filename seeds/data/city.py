"""Qingdao's districts and some of their streets (街道), for ``marketplace seed city``.

Each district: its administrative division code (the first six digits of street codes and of its
organizations' credit codes), its name in both languages and an approximate centre. Streets are real
names; the city seed uses them in order, district by district in turn, Hudao Street first.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DistrictSpec:
    division: str
    name: str
    name_en: str
    latitude: float
    longitude: float
    streets: tuple[tuple[str, str, str], ...]  # (name, name_en, slug)


CITY = "青岛市"

DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec(
        "370203",
        "市北区",
        "Shibei District",
        36.095,
        120.372,
        (
            ("湖岛街道", "Hudao Street", "hudao"),
            ("辽宁路街道", "Liaoning Road Street", "liaoninglu"),
            ("台东街道", "Taidong Street", "taidong"),
            ("登州路街道", "Dengzhou Road Street", "dengzhoulu"),
            ("敦化路街道", "Dunhua Road Street", "dunhualu"),
            ("合肥路街道", "Hefei Road Street", "hefeilu"),
            ("洛阳路街道", "Luoyang Road Street", "luoyanglu"),
            ("水清沟街道", "Shuiqinggou Street", "shuiqinggou"),
            ("宁夏路街道", "Ningxia Road Street", "ningxialu"),
            ("大港街道", "Dagang Street", "dagang"),
            ("四方街道", "Sifang Street", "sifang"),
            ("浮山新区街道", "Fushan New Area Street", "fushanxinqu"),
        ),
    ),
    DistrictSpec(
        "370202",
        "市南区",
        "Shinan District",
        36.062,
        120.385,
        (
            ("八大关街道", "Badaguan Street", "badaguan"),
            ("中山路街道", "Zhongshan Road Street", "zhongshanlu"),
            ("香港中路街道", "Hong Kong Middle Road Street", "xianggangzhonglu"),
            ("湛山街道", "Zhanshan Street", "zhanshan"),
            ("八大峡街道", "Badaxia Street", "badaxia"),
            ("云南路街道", "Yunnan Road Street", "yunnanlu"),
            ("江苏路街道", "Jiangsu Road Street", "jiangsulu"),
            ("金门路街道", "Jinmen Road Street", "jinmenlu"),
            ("珠海路街道", "Zhuhai Road Street", "zhuhailu"),
            ("八大湖街道", "Badahu Street", "badahu"),
        ),
    ),
    DistrictSpec(
        "370213",
        "李沧区",
        "Licang District",
        36.150,
        120.432,
        (
            ("李村街道", "Licun Street", "licun"),
            ("虎山路街道", "Hushan Road Street", "hushanlu"),
            ("浮山路街道", "Fushan Road Street", "fushanlu"),
            ("振华路街道", "Zhenhua Road Street", "zhenhualu"),
            ("兴华路街道", "Xinghua Road Street", "xinghualu"),
            ("湘潭路街道", "Xiangtan Road Street", "xiangtanlu"),
            ("楼山街道", "Loushan Street", "loushan"),
            ("九水街道", "Jiushui Street", "jiushui"),
            ("世园街道", "Shiyuan Street", "shiyuan"),
            ("沧口街道", "Cangkou Street", "cangkou"),
            ("兴城路街道", "Xingcheng Road Street", "xingchenglu"),
        ),
    ),
    DistrictSpec(
        "370212",
        "崂山区",
        "Laoshan District",
        36.107,
        120.468,
        (
            ("中韩街道", "Zhonghan Street", "zhonghan"),
            ("金家岭街道", "Jinjialing Street", "jinjialing"),
            ("沙子口街道", "Shazikou Street", "shazikou"),
            ("王哥庄街道", "Wanggezhuang Street", "wanggezhuang"),
            ("北宅街道", "Beizhai Street", "beizhai"),
        ),
    ),
    DistrictSpec(
        "370214",
        "城阳区",
        "Chengyang District",
        36.307,
        120.396,
        (
            ("城阳街道", "Chengyang Street", "chengyang"),
            ("流亭街道", "Liuting Street", "liuting"),
            ("夏庄街道", "Xiazhuang Street", "xiazhuang"),
            ("惜福镇街道", "Xifuzhen Street", "xifuzhen"),
            ("棘洪滩街道", "Jihongtan Street", "jihongtan"),
            ("上马街道", "Shangma Street", "shangma"),
            ("河套街道", "Hetao Street", "hetao"),
            ("红岛街道", "Hongdao Street", "hongdao"),
        ),
    ),
    DistrictSpec(
        "370211",
        "黄岛区",
        "Huangdao District",
        35.960,
        120.198,
        (
            ("黄岛街道", "Huangdao Street", "huangdao"),
            ("辛安街道", "Xin'an Street", "xinan"),
            ("薛家岛街道", "Xuejiadao Street", "xuejiadao"),
            ("长江路街道", "Changjiang Road Street", "changjianglu"),
            ("灵珠山街道", "Lingzhushan Street", "lingzhushan"),
            ("红石崖街道", "Hongshiya Street", "hongshiya"),
            ("隐珠街道", "Yinzhu Street", "yinzhu"),
            ("珠海街道", "Zhuhai Street", "zhuhai"),
            ("灵山卫街道", "Lingshanwei Street", "lingshanwei"),
            ("王台街道", "Wangtai Street", "wangtai"),
        ),
    ),
    DistrictSpec(
        "370215",
        "即墨区",
        "Jimo District",
        36.389,
        120.447,
        (
            ("通济街道", "Tongji Street", "tongji"),
            ("环秀街道", "Huanxiu Street", "huanxiu"),
            ("潮海街道", "Chaohai Street", "chaohai"),
            ("北安街道", "Bei'an Street", "beian"),
            ("龙山街道", "Longshan Street", "longshan"),
            ("龙泉街道", "Longquan Street", "longquan"),
            ("鳌山卫街道", "Aoshanwei Street", "aoshanwei"),
            ("温泉街道", "Wenquan Street", "wenquan"),
        ),
    ),
    DistrictSpec(
        "370281",
        "胶州市",
        "Jiaozhou City",
        36.285,
        120.033,
        (
            ("阜安街道", "Fu'an Street", "fuan"),
            ("中云街道", "Zhongyun Street", "zhongyun"),
            ("三里河街道", "Sanlihe Street", "sanlihe"),
            ("九龙街道", "Jiulong Street", "jiulong"),
            ("胶东街道", "Jiaodong Street", "jiaodong"),
            ("胶北街道", "Jiaobei Street", "jiaobei"),
            ("胶西街道", "Jiaoxi Street", "jiaoxi"),
        ),
    ),
    DistrictSpec(
        "370283",
        "平度市",
        "Pingdu City",
        36.776,
        119.988,
        (
            ("东阁街道", "Dongge Street", "dongge"),
            ("李园街道", "Liyuan Street", "liyuan"),
            ("同和街道", "Tonghe Street", "tonghe"),
            ("凤台街道", "Fengtai Street", "fengtai"),
            ("白沙河街道", "Baishahe Street", "baishahe"),
        ),
    ),
    DistrictSpec(
        "370285",
        "莱西市",
        "Laixi City",
        36.888,
        120.518,
        (
            ("水集街道", "Shuiji Street", "shuiji"),
            ("望城街道", "Wangcheng Street", "wangcheng"),
            ("沽河街道", "Guhe Street", "guhe"),
        ),
    ),
)

"""Invented but plausible names: people, natural villages (自然湾) and housing estates (小区).

Surnames follow their rough frequency in Hubei (王, 李, 张, 刘, 陈 … weighted); given names are
one or two characters from pools that are common for each gender in people born 1950–2000.
Natural villages in the Jianghan plain are named after the clan that founded them and the lie
of the land: 张家湾 (a bay or bend), 李家台 (a raised platform above flood level), 王家咀 (a spit
of land), 刘家岭 (a ridge), 陈家墩, 周家畈 (a stretch of paddy fields), 胡家垸 (a diked polder).
"""

from __future__ import annotations

import numpy as np

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
# Heavier weights for the most common surnames (roughly their share in central China).
SURNAME_WEIGHTS = np.array(
    [7.2, 7.0, 6.8, 5.4, 4.6, 3.1, 2.4, 2.1, 1.9, 1.8, 1.6, 1.5, 1.4]
    + [1.0] * 20
    + [0.7] * 30
    + [0.5] * (len(SURNAMES) - 63)
)
MALE_CHARS = "伟强军勇杰涛明超华建平刚辉鹏飞斌俊波国志文海庆春林德忠兴祥成新宏金全胜东亮立"
FEMALE_CHARS = "芳娟敏静丽艳秀霞玲英红梅兰琴燕萍洁琳婷雪慧颖桂凤华珍翠云莲春月娥淑荣"
SHARED_CHARS = "小晓永玉家德明金春秋"

LANDFORMS = "湾湾湾台台咀岭墩畈垸冲港嘴岗坡"
PLACE_PREFIXES = (
    "新屋",
    "老屋",
    "大屋",
    "小屋",
    "塘角",
    "桥头",
    "河口",
    "上",
    "下",
    "东",
    "西",
    "南",
    "北",
    "后",
    "前",
    "高",
    "枫树",
    "柳树",
    "杨树",
    "竹林",
    "石板",
    "瓦屋",
)
ESTATE_STEMS = (
    "幸福",
    "阳光",
    "和谐",
    "康居",
    "锦绣",
    "丽景",
    "翠湖",
    "滨湖",
    "桂园",
    "兴业",
    "新城",
    "汉江",
    "知音",
    "山水",
    "华府",
    "紫荆",
    "金桂",
    "惠民",
    "安居",
    "馨园",
    "民乐",
    "福星",
    "景苑",
    "书香",
    "荷塘",
    "嘉园",
    "龙湖",
    "檀香",
    "百合",
    "玉兰",
)
ESTATE_SUFFIXES = ("小区", "花园", "家园", "新村", "佳苑", "雅居", "嘉园", "公寓")
CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十二, 二十四)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "") or CN_DIGITS[0]


def surname(rng: np.random.Generator) -> str:
    return str(rng.choice(list(SURNAMES), p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()))


def given_name(gender: str, rng: np.random.Generator) -> str:
    pool = MALE_CHARS if gender == "男" else FEMALE_CHARS
    first = str(rng.choice(list(pool + SHARED_CHARS)))
    if rng.random() < 0.3:  # single-character given names are common too
        return str(rng.choice(list(pool)))
    return first + str(rng.choice(list(pool)))


class PersonNamer:
    """Draws full names, never the same one twice, so demo people are easy to tell apart."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, gender: str, family: str | None = None) -> str:
        while True:
            name = (family or surname(self.rng)) + given_name(gender, self.rng)
            if name not in self.used:
                self.used.add(name)
                return name
            family = None  # that clan has run out of fresh names: try another surname


def natural_village_names(n: int, rng: np.random.Generator) -> list[str]:
    """n different 自然湾 names: mostly 'clan + 家 + landform', some descriptive ones."""
    names: list[str] = []
    while len(names) < n:
        if rng.random() < 0.8:
            name = surname(rng) + "家" + str(rng.choice(list(LANDFORMS)))
        else:
            name = str(rng.choice(PLACE_PREFIXES)) + str(rng.choice(list("湾湾台岭畈")))
        if name not in names:
            names.append(name)
    return names


class EstateNamer:
    """Housing-estate names, unique across the street (a 小区 name is an address)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, community: str) -> str:
        local = community.removesuffix("社区")
        while True:
            stem = local if self.rng.random() < 0.15 else str(self.rng.choice(ESTATE_STEMS))
            name = stem + str(self.rng.choice(ESTATE_SUFFIXES))
            if name not in self.used:
                self.used.add(name)
                return name


def clan_of(place: str) -> str | None:
    """The founding clan of a natural village ('张家湾' → '张'), if its name has one."""
    return place[0] if len(place) == 3 and place[1] == "家" else None

"""Short Chinese titles and descriptions for the demo's incidents.

Titles name a place (a natural village, estate or village), never a person: titles and
descriptions show on the map, while names, ID numbers and phones of parties are personal data
(PIPL) kept in the separate parties table.
"""

from __future__ import annotations

import numpy as np

DISPUTE_TOPICS = {
    "neighbour": (
        "宅基地界址",
        "排水沟堵塞",
        "房屋滴水檐",
        "树木遮挡采光",
        "噪音扰民",
        "占道堆放杂物",
        "家禽毁坏菜地",
        "违规搭建",
    ),
    "land": ("承包地边界", "田埂水渠", "土地流转租金", "灌溉用水", "插花地耕种", "林地权属"),
    "family": ("赡养老人", "分家析产", "婚姻感情", "子女抚养", "房产继承", "婆媳关系"),
    "labour": ("拖欠农民工工资", "工伤赔偿", "解除劳动关系", "加班费", "社保缴纳"),
    "contract": ("鱼塘承包合同", "房屋租赁合同", "农资买卖", "工程款结算", "民间借贷"),
    "acquisition": ("征地补偿款分配", "房屋拆迁安置", "青苗补偿", "还建房分配", "迁坟补偿"),
    "damage": ("交通事故赔偿", "犬只伤人", "牲畜毁损庄稼", "施工损坏房屋", "火灾损失赔偿"),
    "other": ("集体收益分配", "红白喜事占道", "山林砍伐", "网络购物"),
}
DISPUTE_SOURCES = (
    "网格员排查发现",
    "群众到村委会反映",
    "12345热线转办",
    "派出所移交",
    "法律明白人反映",
)
REFERRED_TO = {
    "labour": "街道劳动保障监察",
    "acquisition": "街道征收办",
    "damage": "派出所",
    "family": "人民法庭",
    "land": "街道农业服务中心",
    "contract": "人民法庭",
    "neighbour": "人民法庭",
    "other": "12345热线",
}
DISPUTE_OUTCOME = {
    "resolved": "经网格员和调委会调处，双方达成一致，矛盾已化解。",
    "referred": "调处未果，已移交{dest}依法处理。",
    "found": "已登记，待安排调处。",
    "mediating": "调委会正在调处。",
}

PETITION_TOPICS = {
    "acquisition": ("反映征地补偿标准偏低", "反映还建房迟迟未交付", "反映拆迁安置不公"),
    "rural_affairs": (
        "反映土地确权面积有误",
        "反映村集体资金使用不透明",
        "反映承包地被占用",
        "反映村务公开不及时",
    ),
    "social_security": ("反映低保评定不公", "咨询养老保险待遇", "反映医保报销问题", "申请困难救助"),
    "construction": ("反映村道年久失修", "反映自建房审批慢", "反映饮水管道漏水", "反映路灯损坏"),
    "environment": ("反映养殖场臭味扰民", "反映工厂夜间噪音", "反映河塘污染", "反映焚烧秸秆"),
    "law": ("对法院判决不服", "反映判决执行难", "要求追究他人责任"),
    "other": ("反映邻里矛盾未解决", "反映服务态度问题", "其他诉求"),
}

#: (topic, legal basis) per enforcement domain.
ENFORCEMENT_TOPICS = {
    "city_management": (
        ("占道经营", "《城市市容和环境卫生管理条例》"),
        ("乱堆乱放", "《城市市容和环境卫生管理条例》"),
        ("违规设置户外广告", "《城市市容和环境卫生管理条例》"),
        ("渣土车沿途撒漏", "《城市道路管理条例》"),
        ("违法建设", "《中华人民共和国城乡规划法》"),
    ),
    "work_safety": (
        ("小作坊堵塞消防通道", "《中华人民共和国消防法》"),
        ("企业安全生产隐患", "《中华人民共和国安全生产法》"),
        ("液化气使用不规范", "《城镇燃气管理条例》"),
        ("工地高处作业防护缺失", "《中华人民共和国安全生产法》"),
        ("非法储存烟花爆竹", "《烟花爆竹安全管理条例》"),
    ),
    "environment": (
        ("露天焚烧秸秆", "《中华人民共和国大气污染防治法》"),
        ("养殖废水直排", "《畜禽规模养殖污染防治条例》"),
        ("随意倾倒工业固废", "《中华人民共和国固体废物污染环境防治法》"),
        ("餐饮油烟直排", "《中华人民共和国大气污染防治法》"),
        ("非法采砂", "《中华人民共和国长江保护法》"),
    ),
}
ENFORCEMENT_DEEDS = {
    "检查": "开展检查",
    "责令整改": "责令限期整改",
    "行政处罚": "立案并作出行政处罚",
}

PUBLICITY_TOPICS = {
    "civil_code": ("民法典进村入户宣传", "民法典宣传月专题讲座"),
    "constitution": ("宪法宣传周宣讲", "国家宪法日宪法宣誓"),
    "anti_fraud": ("反电信网络诈骗宣传", "防范养老诈骗宣传"),
    "other": ("禁毒宣传", "防范非法集资宣传", "消费者权益保护宣传", "国家安全教育日宣传"),
}
PUBLICITY_FORMS = ("专题讲座", "摆摊宣传", "入户发放资料", "院坝会", "文艺演出")
TRAINING_TOPICS = (
    "行政处罚法专题培训",
    "行政执法三项制度培训",
    "安全生产执法实务培训",
    "生态环境执法培训",
    "执法文书规范培训",
    "行政复议法解读",
)


def pick(options, rng: np.random.Generator) -> str:
    return str(options[int(rng.integers(len(options)))])


def dispute_text(category: str, place: str, rng: np.random.Generator) -> tuple[str, str, str]:
    """Title, description and how the dispute came to light."""
    topic = pick(DISPUTE_TOPICS[category], rng)
    source = pick(DISPUTE_SOURCES, rng)
    return f"{place}{topic}纠纷", f"{place}群众因{topic}问题发生矛盾，由{source}。", source


def dispute_outcome(status: str, category: str) -> str:
    return DISPUTE_OUTCOME[status].format(dest=REFERRED_TO[category])


def mediation_text(
    category: str, village: str, agreed: bool, rng: np.random.Generator
) -> tuple[str, str]:
    topic = pick(DISPUTE_TOPICS[category], rng)
    end = "经调解达成调解协议。" if agreed else "经调解未能达成协议，已告知当事人通过诉讼解决。"
    return f"{village}{topic}纠纷调解案", f"{village}人民调解委员会受理{topic}纠纷，{end}"


def petition_text(
    category: str, village: str, repeat: bool, rng: np.random.Generator
) -> tuple[str, str]:
    topic = pick(PETITION_TOPICS[category], rng)
    again = "（重复信访）" if repeat else ""
    return f"{village}群众{topic}{again}", f"{village}群众{topic}，街道信访办登记受理。"


def enforcement_text(
    category: str, place: str, action: str, rng: np.random.Generator
) -> tuple[str, str, str]:
    options = ENFORCEMENT_TOPICS[category]
    topic, basis = options[int(rng.integers(len(options)))]
    deed = ENFORCEMENT_DEEDS[action]
    return f"{place}{topic}", f"执法人员在{place}发现{topic}问题，依据{basis}{deed}。", basis

"""The live-commerce synonym lexicon: built-in groups in Chinese and English, extended by
`room.yaml` `synonyms`. Every term of a group stands for the group's first term (its concept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.faq.normalise import normalise

# First term = the concept's name. Chinese slang, common miswritings (优惠卷, 福带) and
# chat spellings (wen, u) belong here: they are how viewers write, not typos of one query.
BUILTIN_GROUPS: tuple[tuple[str, ...], ...] = (
    # -- question intents
    (
        "多久",
        "多长时间",
        "多少天",
        "几天",
        "什么时候",
        "啥时候",
        "几时",
        "几点",
        "快",
        "快不快",
        "when",
        "wen",
        "how long",
        "how soon",
        "how many day",
        "fast",
        "quick",
    ),
    (
        "多少钱",
        "多少米",
        "几块钱",
        "几块",
        "什么价",
        "啥价",
        "价格",
        "价钱",
        "价位",
        "售价",
        "多钱",
        "价",
        "直播价",
        "到手价",
        "日常价",
        "how much",
        "price",
        "cost",
    ),
    ("怎么", "怎样", "咋", "如何", "怎么样", "how", "how do i", "how to", "how can i"),
    ("什么", "啥", "哪种", "什么样", "what", "what kind"),
    ("哪里", "哪儿", "哪", "在哪", "where"),
    ("哪个", "选哪个", "哪款", "which", "which one"),
    ("多大", "多宽", "多高", "尺寸", "大小", "直径", "how big", "dimension"),
    ("可以", "能", "能不能", "可不可以", "行不行", "can", "could"),
    ("有没有", "有木有", "有无", "any", "is there", "are there", "do you have"),
    # -- shipping
    ("发货", "发出", "寄出", "出货", "发", "寄", "ship", "send", "dispatch"),
    ("到货", "收到", "送到", "到", "arriv", "deliver", "delivery", "get it"),
    ("快递", "物流", "快递公司", "courier", "express", "carrier"),
    ("包邮", "免邮", "免运费", "free shipping", "free ship", "free delivery"),
    ("运费", "邮费", "shipping fee", "shipping cost", "postage"),
    ("顺丰", "sf"),
    ("偏远地区", "偏远", "新疆", "西藏", "青海", "内蒙古", "内蒙", "宁夏", "甘肃", "remote area"),
    (
        "国外",
        "海外",
        "港澳台",
        "香港",
        "澳门",
        "台湾",
        "美国",
        "日本",
        "加拿大",
        "国际",
        "overseas",
        "abroad",
        "international",
        "canada",
        "usa",
    ),
    # -- after-sales
    ("退货", "退", "退回", "退款", "退钱", "return", "refund", "send back"),
    ("七天无理由", "7天无理由", "无理由", "七天", "7天", "return policy"),
    ("运费险", "退货险", "return shipping", "return insurance"),
    ("换货", "换", "调换", "更换", "exchange", "swap"),
    (
        "坏",
        "破",
        "破损",
        "坏掉",
        "划痕",
        "碎",
        "漏发",
        "少发",
        "发错",
        "错发",
        "broken",
        "damag",
        "defect",
        "miss",
    ),
    ("客服", "人工", "人工客服", "售后", "customer service", "support", "contact"),
    ("保修", "质保", "维修", "修", "warranty", "guarante", "repair"),
    # -- ordering and paying
    ("下单", "购买", "买", "拍", "拍下", "抢", "order", "buy", "purchas"),
    ("链接", "小黄车", "购物车", "黄车", "link", "cart"),
    ("地址", "收货地址", "address"),
    ("修改", "改", "更改", "change", "edit"),
    ("取消", "不要了", "不想要了", "cancel"),
    ("付款", "支付", "付钱", "pay", "payment"),
    ("花呗", "alipay", "huabei"),
    ("分期", "installment"),
    ("货到付款", "cash on delivery", "cod"),
    ("信用卡", "credit card", "card"),
    ("发票", "开票", "专票", "普票", "invoice", "receipt", "fapiao"),
    # -- deals and events
    ("优惠券", "优惠卷", "券", "卷", "yhq", "coupon", "voucher", "discount code"),
    ("领", "领取", "抢券", "claim", "get"),
    ("优惠", "便宜", "折扣", "打折", "减", "划算", "discount", "deal", "cheaper"),
    ("叠加", "一起用", "同时用", "stack", "combine"),
    ("降价", "更便宜", "降", "差价", "保价", "price protection", "price drop"),
    ("福袋", "福带", "抽奖", "抽", "giveaway", "lucky bag", "raffle", "lottery"),
    ("参加", "参与", "加入", "enter", "join", "participat"),
    ("口令", "暗号", "keyword", "password"),
    ("中奖", "中了", "抽中", "奖品", "奖", "领奖", "won", "win", "winner", "prize"),
    ("会员", "粉丝团", "入会", "粉丝", "vip", "member", "membership", "fan club"),
    ("福利", "好处", "权益", "benefit", "perk"),
    ("直播", "开播", "播", "live", "stream", "show"),
    ("下次", "下一场", "下场", "明天", "next", "tomorrow"),
    # -- quality and stock
    ("正品", "真的", "真货", "authentic", "genuine", "real", "original"),
    ("假货", "假的", "假", "fake", "counterfeit"),
    ("质检报告", "质检", "检测报告", "报告", "inspection", "certificat"),
    ("库存", "现货", "有货", "in stock", "stock"),
    ("补货", "还会有", "restock", "back in stock"),
    ("卖完", "没货", "断货", "抢光", "sold out", "out of stock"),
    # -- product attributes
    ("尺码", "码数", "码", "号码", "均码", "size", "sizing"),
    ("男款", "男士", "男生", "男的", "男式", "男人", "men", "man", "male"),
    ("女款", "女士", "女生", "女的", "女式", "女人", "women", "woman", "female", "lady"),
    ("偏大", "偏小", "大了", "小了", "run small", "run large", "run big", "fit"),
    ("材质", "材料", "面料", "什么做的", "material", "made of", "fabric"),
    (
        "颜色",
        "色",
        "色号",
        "黑色",
        "白色",
        "米白",
        "红色",
        "蓝色",
        "灰色",
        "粉色",
        "绿色",
        "黄色",
        "紫色",
        "卡其",
        "color",
        "colour",
        "black",
        "white",
        "red",
        "blue",
        "grey",
        "gray",
        "pink",
        "green",
    ),
    ("容量", "几升", "多少毫升", "升", "capacity", "liter", "litre"),
    (
        "保温",
        "保暖",
        "暖和",
        "暖",
        "保冷",
        "冰水",
        "冰饮",
        "冷饮",
        "keep warm",
        "warm",
        "insulat",
        "keep cold",
        "cold drink",
    ),
    ("漏水", "漏", "leak"),
    ("清洗", "洗", "清理", "水洗", "wash", "clean"),
    ("机洗", "洗衣机", "machine wash"),
    ("洗碗机", "dishwasher"),
    ("电磁炉", "电陶炉", "燃气灶", "煤气灶", "灶", "induction", "stove", "gas stove"),
    ("涂层", "coating", "nonstick", "non stick"),
    ("掉毛", "起球", "掉絮", "shed", "pill"),
    ("缩水", "shrink"),
    ("保质期", "保存", "存", "储存", "存放", "能放多久", "shelf life", "expir", "store"),
    ("泡", "冲泡", "冲", "brew", "steep", "make"),
    ("产地", "哪里产", "产自", "origin", "where from"),
    ("饮料", "牛奶", "咖啡", "果汁", "豆浆", "奶茶", "drink", "coffee", "milk", "juice"),
    ("水温", "多少度", "几度", "温度", "temperatur"),
    ("手提袋", "礼品袋", "袋子", "包装袋", "gift bag", "bag"),
    ("几个人", "几口人", "一家四口", "一家三口", "几口之家", "how many people"),
    ("床", "单人床", "双人床", "bed"),
    ("干烧", "防干烧", "烧干", "dry boil"),
    ("使用", "用", "use"),
    ("送人", "送礼", "送长辈", "送爸妈", "礼物", "gift", "present"),
    ("推荐", "建议", "买哪个", "recommend", "suggest"),
    ("锅", "炒锅", "pan", "wok", "pot"),
    ("水壶", "热水壶", "烧水壶", "电水壶", "kettle"),
    ("羽绒服", "羽绒衣", "down jacket", "puffer", "puffer jacket"),
    ("外套", "jacket"),
    ("保温杯", "thermos", "flask", "vacuum cup"),
    ("杯子", "水杯", "cup", "mug", "bottle"),
    ("茶叶", "tea"),
    ("红茶", "black tea"),
    ("毛毯", "毯子", "盖毯", "blanket", "throw"),
    ("袜子", "袜", "sock"),
)


@dataclass(frozen=True)
class Lexicon:
    """Normalised term → concept name; concept name → the group's normalised terms."""

    concept_of: dict[str, str]
    groups: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, extra: Iterable[Sequence[str]] = (), *, builtin: bool = True) -> Lexicon:
        """The built-in groups plus `extra` (room.yaml `synonyms`).

        An extra group that shares a term with a built-in one joins it, so operators can add
        "颗" to an existing concept by writing `[码, 颗]` without knowing its name."""
        concept_of: dict[str, str] = {}
        groups: dict[str, list[str]] = {}
        for group in [*(BUILTIN_GROUPS if builtin else ()), *extra]:
            terms = [t for t in (normalise(term) for term in group) if t]
            if not terms:
                continue
            concept = next((concept_of[t] for t in terms if t in concept_of), terms[0])
            members = groups.setdefault(concept, [])
            for term in terms:
                concept_of.setdefault(term, concept)
                if term not in members:
                    members.append(term)
        return cls(concept_of, {c: tuple(ts) for c, ts in groups.items()})

    def concept(self, term: str) -> str | None:
        return self.concept_of.get(normalise(term))

    def same(self, a: str, b: str) -> bool:
        ca, cb = self.concept(a), self.concept(b)
        return ca is not None and ca == cb

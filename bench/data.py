"""Realistic synthetic data for the benchmarks, from a fixed seed (the same every run)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from worker.districts import DISTRICTS, ZONES, Gazetteer
from worker.models import Category, Item, Schedule, Subscriber

# Real investor words, then a vocabulary of a few thousand two-to-four-character terms.
REAL_TERMS = ["新能源", "智能制造", "人工智能", "AI", "集成电路", "生物医药", "氢能", "储能",
              "数据中心", "跨境电商", "融资租赁", "新材料", "高端装备", "物流", "光伏", "算力",
              "汽车零部件", "医疗器械", "商业航天", "低空经济", "机器人", "半导体"]
_CHARS = ("天津滨海武清宝坻西青北辰津南东丽宁河静海蓟州和平河东河西南开红桥新能源智能制造人工"
          "集成电路生物医药氢储数据中心跨境电商融资租赁材料高端装备物流光伏算力汽车零部件医疗"
          "器械商业航天低空经济机器人半导体产业园区项目签约投资政策补贴奖励企业发展建设科技创新")
SHORT_FORMS = ["武清", "滨海", "宝坻", "西青", "北辰", "津南", "东丽", "静海", "蓟州", "TEDA"]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    terms = set(REAL_TERMS)
    while len(terms) < size:
        terms.add("".join(rng.choices(_CHARS, k=rng.randint(2, 4))))
    return sorted(terms)


def subscribers(n: int, seed: int = 1) -> list[Subscriber]:
    """1–3 districts (zones and short forms too), 0–5 keywords, 0–2 exclusions."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    gazetteer = Gazetteer.tianjin()
    places = [*DISTRICTS, *ZONES, *SHORT_FORMS]
    out = []
    for i in range(n):
        districts = tuple(dict.fromkeys(
            gazetteer.resolve(p) or p for p in rng.sample(places, rng.randint(1, 3))))
        categories: tuple[Category, ...] = rng.choice([(), (), ("project",), ("policy",)])
        out.append(Subscriber(
            email=f"s{i}@example.com", id=i + 1, districts=districts, categories=categories,
            keywords=tuple(rng.sample(words, rng.randint(0, 5))),
            exclude=tuple(rng.sample(words, rng.randint(0, 2))),
            schedule=Schedule(rng.choice(["instant", "daily", "weekly"]))))
    return out


def items(n: int, seed: int = 2) -> list[Item]:
    """Items of ~300 Chinese characters, tagged by the real gazetteer."""
    rng = random.Random(seed)
    words = vocabulary(random.Random(1))
    gazetteer = Gazetteer.tianjin()
    places = [*DISTRICTS, *ZONES, *SHORT_FORMS]
    when = datetime(2026, 11, 20, tzinfo=UTC)
    out = []
    for i in range(n):
        title = f"{rng.choice(places)}{rng.choice(words)}{rng.choice(words)}项目签约落地"
        filler = ["，", "的", "和", "推进", "建设", "加快", "企业", "园区", "工作", "会议"]
        parts = [rng.choice(words) if rng.random() < 0.25 else rng.choice(filler)
                 for _ in range(150)]
        for _ in range(rng.randint(0, 2)):  # a real item names one to three districts
            parts.insert(rng.randrange(len(parts)), rng.choice(places))
        body = "".join(parts)[:300]
        out.append(Item("bench", f"g{i}", f"https://bench.test/{i}", title, body,
                        when - timedelta(minutes=i), rng.choice(["project", "policy"]),
                        gazetteer.tag(title, body), f"f{i}", id=i + 1))
    return out

"""Hotspots in the words street staff use: 高发, 持续高发, 新出现, 正在缓解, 无明显聚集.

The analysis speaks statistics (Getis-Ord Gi* z-scores, p-values after the false discovery
rate correction, Esri's seventeen emerging hot spot categories); a duty officer or a village
secretary asks something plainer: is this place a source of conflict, has it been one for
months, has it just started, is it calming down? Each grid gets one word for that, and the
numbers travel beside it (:func:`details`) for whoever wants to check them.

- **高发**: a significant hot spot over the period (Gi* after the FDR correction): more
  incidents around this grid than chance would put there.
- **持续高发**: hot in almost every month (Esri's persistent and intensifying hot spots).
- **新出现**: hot lately, and not before (new, consecutive), or off and on (sporadic,
  oscillating): a source that is starting, or flaring up again.
- **正在缓解**: hot for most of the period, now cooling (diminishing, historical).
- **无明显聚集**: everything else, cold spots included: fewer incidents than usual is no
  matter for 源头治理.
"""

from __future__ import annotations

HIGH, PERSISTENT, NEW, EASING, NONE = "高发", "持续高发", "新出现", "正在缓解", "无明显聚集"

# Below this many incidents in the street for the filters asked, hot spot statistics mean
# nothing: with four overdue cases over 231 grids, every neighbour of one of them scores
# z ≈ 3 and a grid with no incident at all came out "hot at 99 %". Thirty is the floor a Gi*
# is given in practice (ArcGIS's hot spot tool asks for 30 features at least; here what is
# scarce is incidents, not grids); below it the page says so instead of labelling anything.
MIN_EVENTS = 30
TOO_FEW = "事件太少，无法判断热点"

# Every emerging hot spot category (gridmap.center.stats.patterns) and its word.
TRENDS = {
    "persistent_hot": PERSISTENT,
    "intensifying_hot": PERSISTENT,
    "new_hot": NEW,
    "consecutive_hot": NEW,
    "sporadic_hot": NEW,
    "oscillating_hot": NEW,
    "diminishing_hot": EASING,
    "historical_hot": EASING,
    **{
        f"{kind}_cold": NONE
        for kind in (
            "new",
            "consecutive",
            "intensifying",
            "persistent",
            "diminishing",
            "sporadic",
            "oscillating",
            "historical",
        )
    },
    "no_pattern": NONE,
}

# The words from strongest to weakest (the order of a legend).
ORDER = (PERSISTENT, HIGH, NEW, EASING, NONE)

# How sure the analysis is that a 高发 grid is one (Gi_Bin 3, 2, 1), in words.
SURE = {3: "十分明显", 2: "明显", 1: "略有迹象"}
CONFIDENCE = {3: "99%", 2: "95%", 1: "90%"}


def trend_word(category: str) -> str:
    """The word of an emerging hot spot category."""
    return TRENDS[category]


def word(gi_bin: int, category: str, count: int) -> str:
    """One grid's word. A grid with no incident is never a hotspot, whatever its neighbours;
    a grid that is not a significant hot spot over the period (Gi* after FDR) is not called
    高发 by its monthly pattern alone; a significant one says how its months went."""
    if count <= 0 or gi_bin <= 0:
        return NONE
    trend = trend_word(category)
    return HIGH if trend == NONE else trend


def gi_details(row: dict) -> str:
    """The hot spot statistics behind a place's word, in one line (a tooltip, a details line):
    Gi* z, p, the FDR-corrected q where there is one, and the confidence."""
    gi_bin = int(row["gi_bin"])
    parts = [f"Gi* z={row['z']:.2f}", f"p={row['p']:.4f}"]
    if row.get("q") is not None:
        parts.append(f"FDR 校正后 q={row['q']:.4f}")
    if gi_bin > 0:
        parts.append(f"热点，置信度 {CONFIDENCE[gi_bin]}")
    elif gi_bin < 0:
        parts.append(f"冷点，置信度 {CONFIDENCE[-gi_bin]}")
    else:
        parts.append("不显著")
    return "；".join(parts)


def trend_details(row: dict) -> str:
    """The emerging hot spot analysis behind a grid's trend: Esri's category and the
    Mann–Kendall trend of its monthly z-scores."""
    return (
        f"时空模式：{row['category_name']}；"
        f"趋势 z={row['trend_z']:.2f}，p={row['trend_p']:.3f}（Mann-Kendall）"
    )


def details(row: dict) -> str:
    """Both, for a grid of the hotspot panel."""
    return f"{gi_details(row)}；{trend_details(row)}"

"""Per-question latency and index build time of the engine on generated FAQ packs.

Usage: python -m benchmarks.bench_engine [--sizes 100 1000 10000] [--questions 300]

Beside each figure it measures, in the same run, the baseline: one
``rapidfuzz.process.extractOne(question, all_questions, scorer=fuzz.token_set_ratio,
processor=default_process)`` over every question and alternate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bot.pack.models import Faq, Pack, PackInfo
from bot.understanding import Engine

SYLLABLES = [
    "thư",
    "viện",
    "sách",
    "mượn",
    "trả",
    "thẻ",
    "học",
    "lớp",
    "nghề",
    "may",
    "tin",
    "học",
    "điện",
    "thoại",
    "xe",
    "lưu",
    "động",
    "xã",
    "phường",
    "trung",
    "tâm",
    "cộng",
    "đồng",
    "khuyến",
    "học",
    "học",
    "bổng",
    "gia",
    "đình",
    "công",
    "dân",
    "danh",
    "hiệu",
    "đọc",
    "internet",
    "wifi",
    "miễn",
    "phí",
    "hỗ",
    "trợ",
    "nông",
    "thôn",
    "cây",
    "trồng",
    "vật",
    "nuôi",
    "cá",
    "lúa",
    "cam",
    "quýt",
    "rau",
    "chăn",
    "nuôi",
    "tiếng",
    "anh",
    "trẻ",
    "em",
    "người",
    "cao",
    "tuổi",
    "phụ",
    "nữ",
    "thanh",
    "niên",
    "pháp",
    "luật",
    "giao",
    "thông",
    "sức",
    "khỏe",
    "dinh",
    "dưỡng",
    "bảo",
    "hiểm",
    "hồ",
    "sơ",
    "đăng",
    "ký",
    "thủ",
    "tục",
    "chứng",
    "chỉ",
    "giấy",
    "tờ",
    "căn",
    "cước",
    "ảnh",
    "phí",
    "gia",
    "hạn",
    "quá",
    "hạn",
    "phạt",
    "tặng",
    "quyên",
    "góp",
]
STARTS = ("Làm sao để", "Có được", "Thủ tục", "Ở đâu có", "Bao giờ thì", "Muốn biết về")


def generated_pack(size: int, seed: int = 7) -> Pack:
    """A pack of ``size`` FAQ entries, each with two alternates."""
    rnd = random.Random(seed)
    faq = []
    for n in range(size):
        words = rnd.sample(SYLLABLES, 6)
        faq.append(
            Faq(
                id=f"q{n}",
                question=f"{rnd.choice(STARTS)} {' '.join(words)} mã {n}?",
                alternates=[" ".join(rnd.sample(words, 4)) + f" số {n}", " ".join(words[:3])],
                answer="Trả lời " + " ".join(rnd.sample(SYLLABLES, 10)),
            )
        )
    info = PackInfo(name="Bench", organisation="Bench", contact="0000")
    return Pack(info=info, faq=faq)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) of a list of numbers."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench(size: int, questions: int) -> dict[str, float]:
    """Build time, engine and baseline latencies (ms) for one pack size."""
    pack = generated_pack(size)
    started = time.perf_counter()
    engine = Engine.build(pack)
    build = time.perf_counter() - started
    rnd = random.Random(size)
    texts = [t for f in pack.faq for t in (f.question, *f.alternates)]
    asked = []
    for _ in range(questions):
        base = rnd.choice(texts).split()
        rnd.shuffle(base)
        asked.append(" ".join(base[:5]).lower())
    now = dt.datetime(2026, 12, 2, 9, 0)
    ours, theirs = [], []
    for q in asked:
        t0 = time.perf_counter()
        engine.ask(q, now)
        t1 = time.perf_counter()
        process.extractOne(q, texts, scorer=fuzz.token_set_ratio, processor=default_process)
        t2 = time.perf_counter()
        ours.append((t1 - t0) * 1000)
        theirs.append((t2 - t1) * 1000)
    return {
        "size": size,
        "build_s": build,
        "p50": statistics.median(ours),
        "p99": percentile(ours, 99),
        "base_p50": statistics.median(theirs),
        "base_p99": percentile(theirs, 99),
    }


def main() -> None:
    """Print one line per pack size."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    print("entries  build_s  p50_ms  p99_ms  base_p50  base_p99  p50_ratio  p99_ratio")
    for size in args.sizes:
        r = bench(size, args.questions)
        print(
            f"{r['size']:>7}  {r['build_s']:7.3f}  {r['p50']:6.2f}  {r['p99']:6.2f}  "
            f"{r['base_p50']:8.2f}  {r['base_p99']:8.2f}  {r['p50'] / r['base_p50']:9.2f}  "
            f"{r['p99'] / r['base_p99']:9.2f}"
        )


if __name__ == "__main__":
    main()

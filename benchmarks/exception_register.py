"""The exception register: classifier accuracy and speed, recording and listing throughput.

    .venv/bin/python benchmarks/exception_register.py                  # SQLite in a temporary folder
    .venv/bin/python benchmarks/exception_register.py --records 5000 --url postgresql+psycopg://postgres@127.0.0.1/bench

1. Classifier (default configuration): accuracy on a hand-labelled set of customer
   sentences that are *not* the configured examples, split by which stage answered
   (keyword rules or naive Bayes), and texts classified per second.
2. ``record_exception``: N records, one per committed unit of work (insert, history
   row, outbox event), with free text to classify; records/s.
3. ``list_exceptions``: the first page (50) filtered by category, and a summary by
   week over all N records; milliseconds per call (median of 20).

Figures go to docs/benchmarks.md by hand (machine and date); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from conveyor.bootstrap import build_runtime, initialize
from conveyor.config import load_settings
from conveyor.services.exceptions import (
    ExceptionFilter,
    default_settings,
    list_exceptions,
    record_exception,
    summarize,
)

#: (text, expected category): customer wording, none of it copied from the configured examples
LABELLED = [
    ("The handle snapped off the first time I used it", "product_quality"),
    ("Screen flickers and then goes black", "product_quality"),
    ("Stitching came loose after a week", "product_quality"),
    ("The knife is already rusty", "product_quality"),
    ("Battery dies after ten minutes", "product_quality"),
    ("The colour faded after one wash", "product_quality"),
    ("Package took three weeks to get here", "carrier"),
    ("The driver never rang the bell and took it back", "carrier"),
    ("Tracking says delivered but nothing came", "carrier"),
    ("The parcel was soaking wet and the corner crushed", "carrier"),
    ("It was delayed at the depot for days", "carrier"),
    ("I put the wrong postcode in at checkout", "address"),
    ("It went to my old flat, I moved last month", "address"),
    ("Apartment number was missing from the label", "address"),
    ("You took the money twice from my card", "payment"),
    ("I was overcharged for shipping", "payment"),
    ("The refund has not reached my card yet", "payment"),
    ("Payment was declined but I still got an invoice", "payment"),
    ("I got a blue one instead of the black one", "stock_accuracy"),
    ("Only one of the three mugs was in the box", "stock_accuracy"),
    ("Wrong size in the bag, label said M", "stock_accuracy"),
    ("A completely different product arrived", "stock_accuracy"),
    ("I do not need it any more", "customer_change"),
    ("Bought it as a gift but they already have one", "customer_change"),
    ("It is too big for my kitchen", "customer_change"),
    ("I ordered the wrong model by mistake", "customer_change"),
    ("Found a cheaper one in town", "customer_change"),
    ("Just changed my mind", "customer_change"),
]


def classifier_figures() -> None:
    classifier = default_settings().classifier()
    by_method: dict[str, list[bool]] = {"rules": [], "naive_bayes": [], "none": []}
    misses = []
    for text, expected in LABELLED:
        result = classifier.classify(text)
        method = result.method if result else "none"
        right = result is not None and result.category == expected
        by_method[method].append(right)
        if not right:
            misses.append((text, expected, result.category if result else None, method))
    total = sum(sum(v) for v in by_method.values())
    print(f"classifier accuracy: {total}/{len(LABELLED)} = {total / len(LABELLED):.0%}")
    for method, hits in by_method.items():
        if hits:
            print(f"  {method:12} answered {len(hits):3}, right {sum(hits):3} ({sum(hits) / len(hits):.0%})")
    for text, expected, got, method in misses:
        print(f"  miss: {text!r}: expected {expected}, got {got} ({method})")
    texts = [t for t, _ in LABELLED] * 200
    started = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    elapsed = time.perf_counter() - started
    print(f"classifier speed: {len(texts) / elapsed:,.0f} texts/s ({elapsed / len(texts) * 1e6:.0f} µs each)")


def register_figures(url: str, records: int) -> None:
    runtime = build_runtime(load_settings().model_copy(update={"database_url": url}), configure_logs=False)
    initialize(runtime)
    types = ["pick.short", "return.requested", "carrier.exception", "delivery.late", "payment.declined"]
    started = time.perf_counter()
    for index in range(records):
        with runtime.unit_of_work() as uow:
            record_exception(
                uow,
                type=types[index % len(types)],
                summary=f"benchmark record {index}",
                order_id=f"BENCH-{index % 500}",
                sku=("MUG-STONE", "TEE-BLK-M", "LAPTOP-14")[index % 3],
                carrier_code=("dhl", "ups", None)[index % 3],
                reason_text=LABELLED[index % len(LABELLED)][0] if index % 2 else None,
            )
            uow.commit()
    elapsed = time.perf_counter() - started
    print(f"record_exception: {records} records in {elapsed:.1f} s = {records / elapsed:,.0f} records/s "
          f"(one transaction each)")  # fmt: skip
    for label, call in (
        ("list page (50, category filter)",
         lambda s: list_exceptions(s, ExceptionFilter(category="carrier"), limit=50)),
        ("summary by week", lambda s: summarize(s, "week")),
        ("summary by product", lambda s: summarize(s, "product")),
    ):  # fmt: skip
        times = []
        with runtime.session_factory() as session:
            for _ in range(20):
                begin = time.perf_counter()
                call(session)
                times.append(time.perf_counter() - begin)
        print(f"{label}: {statistics.median(times) * 1000:.1f} ms (median of 20, {records} records)")
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--url", help="a database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    classifier_figures()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        register_figures(url, args.records)


if __name__ == "__main__":
    main()

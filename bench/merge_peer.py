#!/usr/bin/env python3
"""The peer of `stress merge` in bench/merge.sh: HdrHistogram's Python package (`hdrh`,
PyPI `hdrhistogram`, C codec) doing the interval-log part of the same job.

    python merge_peer.py OUT_DIR RUN_DIR...

Reads every run folder's `summary.json` `histograms` list and merges the listed `.hlog` files
interval by interval: for each step, the intervals of all runs that start at the same second
(since each run's own BaseTime, so runs are aligned at their starts, as `stress merge` does)
are added into one histogram and written to OUT_DIR/<path> with hdrh's HistogramLogWriter;
the steps of each second are added into that second's histogram (the time chart: count and
p50/p90/p99 per second); every second is added into the whole run's histogram (count, p99).

It streams: one reader per log, all logs advanced together second by second (a heap), so it
holds one decoded interval per log plus the current second's histograms, whatever the run's
length. An interval whose second was already written (a latency longer than the run writer's
30 s grace re-opens a second) is written as one more interval with the same start, as
`stress run` does, and counted in `late`.

hdrh's `HdrHistogram.add` adds counts in C (`pyhdrh.add_array`) only when both histograms
have the same value range; `stress` writes auto-resized histograms whose range follows their
largest value, and for those `add` falls back to a Python loop over every counter (~3 ms per
interval here). `add_into` below calls hdrh's own `add_array` over the shorter array
instead, which is exact because the bucket layout (significant digits, unit) is the same.
And hdrh's histograms are freed only by Python's cyclic garbage collector (histogram and
encoder refer to each other), so the loop collects once per second of data.

Prints nothing; writes OUT_DIR/peer.json: total count, per-step counts, intervals read, the
whole run's p99 as hdrh reports it (`get_value_at_percentile(99)`: the top of the bucket at
rank round(0.99 N)) and as `stress` defines it (the middle of the bucket at rank
ceil(0.99 N)), and per second the count and p50/p90/p99 (stress's definition).
"""

import bisect
import gc
import heapq
import itertools
import json
import math
import os
import sys
from ctypes import addressof

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter
from pyhdrh import add_array  # pylint: disable=no-name-in-module

LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000, 3  # as stress's histograms (µs, 1 hour, 3 digits)


def new_hist():
    return HdrHistogram(LOWEST, HIGHEST, DIGITS)


def add_into(dst, src):
    """dst += src, in C when the bucket layouts agree (see the module doc)."""
    if src.total_count == 0:
        return
    same_layout = (
        src.sub_bucket_count == dst.sub_bucket_count
        and src.unit_magnitude == dst.unit_magnitude
        and src.word_size == dst.word_size
        and src.counts_len <= dst.counts_len
    )
    if not same_layout:
        dst.add(src)
        return
    add_array(addressof(dst.counts), addressof(src.counts), src.counts_len, dst.word_size)
    dst.total_count += src.total_count
    dst.max_value = max(dst.max_value, src.max_value)
    dst.min_value = min(dst.min_value, src.min_value)


def cumulative(h):
    """Running totals of the counters up to the largest value (C speed)."""
    last = h.get_counts_array_index(h.max_value) + 1 if h.total_count else 0
    return list(itertools.accumulate(h.counts[:last]))


def value_at(h, cum, rank):
    """The middle of the bucket holding the sample of this rank (1-based)."""
    index = bisect.bisect_left(cum, rank)
    value = h.get_value_from_index(index)
    return h.get_lowest_equivalent_value(value) + (h._hdr_size_of_equiv_value_range(value) >> 1)


def bucket(h, value):
    """The bucket holding `value`: its lowest and highest equivalent values."""
    return [h.get_lowest_equivalent_value(value), h.get_highest_equivalent_value(value)]


def percentiles(h, qs):
    """stress's definition: the bucket middle at rank ceil(q·N) (at least 1)."""
    if h.total_count == 0:
        return [0 for _ in qs]
    cum = cumulative(h)
    n = h.total_count
    return [value_at(h, cum, max(1, math.ceil(q * n - 1e-9))) for q in qs]


class Log:
    """One run's log of one step, read interval by interval."""

    def __init__(self, path, step):
        self.reader = HistogramLogReader(path, None)
        self.step = step

    def next(self):
        h = self.reader.get_next_interval_histogram()
        if h is None:
            self.reader.close()
            return None
        # Seconds since this log's BaseTime (stress writes whole seconds).
        second = round(h.get_start_time_stamp() / 1000.0 - self.reader.base_time_sec)
        return second, h


def main():
    out, runs = sys.argv[1], sys.argv[2:]
    logs = []
    for run in runs:
        with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
            listed = json.load(f)["histograms"]
        for entry in listed:
            logs.append(Log(os.path.join(run, entry["path"]), (entry["scenario"], entry["step"], entry["path"])))
    steps = sorted({log.step for log in logs})
    writers = {}
    for scenario, step, path in steps:
        target = os.path.join(out, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        w = HistogramLogWriter(open(target, "w", encoding="utf-8"))  # pylint: disable=consider-using-with
        w.output_comment(f"hdrh merge of {len(runs)} runs: scenario {scenario}, step {step}")
        w.output_log_format_version()
        w.output_base_time(0)
        w.output_legend()
        writers[(scenario, step, path)] = w

    heap = []  # (second, sequence, log index, histogram)
    sequence = itertools.count()
    for i, log in enumerate(logs):
        first = log.next()
        if first:
            heapq.heappush(heap, (first[0], next(sequence), i, first[1]))
    total = new_hist()
    per_step = {s: 0 for s in steps}
    seconds = {}
    intervals = 0
    late = 0
    written_upto = -1
    while heap:
        t = heap[0][0]
        step_hist = {}
        late_second = t <= written_upto
        while heap and heap[0][0] == t:
            _, _, i, h = heapq.heappop(heap)
            intervals += 1
            log = logs[i]
            add_into(step_hist.setdefault(log.step, new_hist()), h)
            following = log.next()
            if following:
                heapq.heappush(heap, (following[0], next(sequence), i, following[1]))
        union = new_hist()
        for step, h in sorted(step_hist.items()):
            writers[step].output_interval_histogram(h, float(t), float(t + 1), 1.0)
            per_step[step] += h.total_count
            add_into(union, h)
        add_into(total, union)
        # hdrh's histograms and their encoders refer to each other, so only the cyclic GC
        # frees a decoded interval; left to its object-count trigger, tens of MB of dead
        # counter arrays pile up per second of data.
        gc.collect()
        if late_second:
            late += 1
            # The percentiles of a re-opened second are kept as first computed (as stress does);
            # its count grows.
            seconds[t][0] += union.total_count
        else:
            seconds[t] = [union.total_count, *percentiles(union, (0.5, 0.9, 0.99))]
            written_upto = t
    for w in writers.values():
        w.close()
    n = total.total_count
    result = {
        "runs": len(runs),
        "logs": len(logs),
        "intervals": intervals,
        "late": late,
        "total": n,
        "steps": {f"{s[0]}/{s[1]}": c for s, c in per_step.items()},
        "p99_hdrh": total.get_value_at_percentile(99.0) if n else 0,
        "p99_rank": max(1, math.ceil(0.99 * n - 1e-9)),
        "p99": percentiles(total, (0.99,))[0],
        "p99_bucket": bucket(total, percentiles(total, (0.99,))[0]) if n else [0, 0],
        "seconds": {str(t): v for t, v in sorted(seconds.items())},
    }
    with open(os.path.join(out, "peer.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()

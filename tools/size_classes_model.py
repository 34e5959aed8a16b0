#!/usr/bin/env python3
"""A model of the size-aware reuse test (tests/byte_pool.rs, `in_flight_ratio`), to weigh
designs before building them. Not the crate: a single-threaded simulation of size classes, of
the search for a buffer, and of ageing by traffic, with a fixed `max_size`.

256 buffers in flight; each step releases the oldest and takes one for the next size of
workloads/sizes.txt; prints the worst (capacity in flight + capacity idle) / bytes in use over
steps 10,000..60,000 (every 1,000th), its two parts at that step, and the shares of takes that
allocate and that shrink an idle buffer.

    python3 tools/size_classes_model.py
"""
import bisect
import collections
import pathlib

SIZES = [int(x) for x in (pathlib.Path(__file__).parent.parent / "workloads" / "sizes.txt").read_text().split()]


def run(sub=1, look=1, max_size=32768, age_every=None, shrink=False, steps=60_000, in_flight=256):
    """sub: classes per octave; look: how many classes above the request's a take searches;
    age_every: an ageing cycle every this many puts (None: never); shrink: when those classes
    are empty, take the smallest idle buffer of any larger class and shrink it to the request's
    class instead of allocating."""
    bounds = []
    b = 64
    while b <= 1 << 25:
        bounds += [b + b * j // sub for j in range(sub)]
        b *= 2
    current, victim = collections.defaultdict(list), collections.defaultdict(list)
    idle, ring, puts, misses, shrinks = 0, collections.deque(), 0, 0, 0
    worst = (0.0, 0.0, 0.0)
    for i, size in enumerate(SIZES[:steps]):
        if len(ring) == in_flight:
            cap = ring.popleft()[1]
            puts += 1
            if bounds[0] <= cap <= max_size:
                # filed under the largest class its capacity fills
                current[bisect.bisect_right(bounds, cap) - 1].append(cap)
                idle += cap
            if age_every and puts % age_every == 0:
                idle -= sum(sum(v) for v in victim.values())
                victim, current = current, collections.defaultdict(list)
        c = bisect.bisect_left(bounds, size)
        cap = None
        for k in range(c, min(c + look + 1, len(bounds))):
            for gen in (current, victim):
                if gen[k]:
                    cap = gen[k].pop()
                    break
            if cap is not None:
                idle -= cap
                break
        if cap is None and shrink:
            for k in range(c + look + 1, len(bounds)):
                gen = current if current[k] else victim if victim[k] else None
                if gen is not None:
                    idle -= gen[k].pop()
                    cap = bounds[c]
                    shrinks += 1
                    break
        if cap is None:
            misses += 1
            cap = bounds[c] if c < len(bounds) else size
        ring.append((size, cap))
        if i >= 10_000 and i % 1000 == 0:
            use = sum(s for s, _ in ring)
            held = sum(c for _, c in ring)
            worst = max(worst, ((held + idle) / use, held / use, idle / use))
    return worst + (misses / steps, shrinks / steps)


if __name__ == "__main__":
    print("max_size  classes/octave  search  ageing every  shrink  worst  in flight  idle  allocating  shrinking")
    for max_size in (32768, 65536):
        for sub, look, age, shrink in ((1, 1, None, False), (2, 2, None, False), (4, 4, None, False),
                                       (1, 1, 1024, False), (4, 4, 2048, False), (4, 4, 1024, False),
                                       (1, 1, None, True), (2, 2, None, True), (4, 4, None, True)):
            w, f, idle, m, sh = run(sub, look, max_size, age, shrink)
            print(f"{max_size:>8}  {sub:>14}  {look:>6}  {str(age or '-'):>12}  {str(shrink):>6}  {w:5.2f}  {f:9.2f}  {idle:4.2f}  {m:10.1%}  {sh:9.1%}")

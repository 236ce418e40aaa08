"""A bursty neighbour for timing experiments: 0, 1 or 2 CPU-bound processes, on and off.

Every 0.5-4 s it draws how many processes spin (0, 1, 1 or 2: the on-and-off load of another
CI job on a 2-core runner) and for how long. Run it beside a session; stop it with Ctrl-C.

Usage:
    python scripts/bursty_neighbour.py [SEED] &
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import time


def spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def main(seed: int) -> None:
    rng = random.Random(seed)
    while True:
        n, seconds = rng.choice([0, 1, 1, 2]), rng.uniform(0.5, 4.0)
        workers = [mp.Process(target=spin, args=(seconds,)) for _ in range(n)]
        for w in workers:
            w.start()
        if not workers:
            time.sleep(seconds)
        for w in workers:
            w.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", nargs="?", type=int, default=0, help="the draws' seed (default 0)")
    main(parser.parse_args().seed)

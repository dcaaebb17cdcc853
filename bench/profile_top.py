"""The top frames of py-spy profiles: where a server's CPU goes.

    python bench/profile_top.py bench/peer-results/profile/*-one-*.txt [--top 25]

Reads py-spy's collapsed stacks (`py-spy record --format raw`, as `bench/peer.py
--profile DIR` writes them: one line per distinct stack, frames joined by `;`, then
the sample count) and prints, over all the files given, each function's share of the
samples: `self` (samples where it is the innermost frame, i.e. running itself) and
`total` (samples where it is anywhere on the stack, counted once per stack).
Idle samples (the event loop waiting in select/epoll) are counted apart and left out of
the percentages, so these are shares of the CPU the process used.
"""

import argparse
import re
from collections import Counter
from pathlib import Path

# py-spy frames read "function (file.py:line)"; the line differs per call site, so the
# function is keyed without it.
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
# Idle, as the innermost frame: the event loop waiting for sockets (the selector's
# select/poll), a worker thread of a pool waiting for work (its queue's get, seen as
# `_worker` itself). py-spy --nonblocking cannot tell idle threads apart by itself.
IDLE = re.compile(r"^(?:\w*Selector\.(?:select|poll) \(selectors\.py\)|_worker \(thread\.py\))$")


def frame_key(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = Path(path).name if "/work/" not in path else path.split("/", 3)[-1]
    return f"{match['func']} ({path})"


def read(paths) -> tuple[Counter, Counter, int, int]:
    own, anywhere = Counter(), Counter()
    busy = idle = 0
    for path in paths:
        for line in Path(path).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [frame_key(f) for f in stack.split(";") if f.strip()]
            # A thread waiting in select() inside the loop is the process being idle.
            if frames and IDLE.match(frames[-1]):
                idle += n
                continue
            busy += n
            if frames:
                own[frames[-1]] += n
            for key in set(frames):
                anywhere[key] += n
    return own, anywhere, busy, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    own, anywhere, busy, idle = read(args.files)
    if not busy:
        raise SystemExit("no busy samples")
    print(f"{busy} busy samples ({idle} idle left out) from {len(args.files)} file(s)\n")
    print("| self % | total % | function |")
    print("|---:|---:|---|")
    for key, n in own.most_common(args.top):
        print(f"| {100 * n / busy:.1f} | {100 * anywhere[key] / busy:.1f} | `{key}` |")
    print("\nBy total (inclusive):\n")
    print("| total % | self % | function |")
    print("|---:|---:|---|")
    for key, n in anywhere.most_common(args.top):
        print(f"| {100 * n / busy:.1f} | {100 * own[key] / busy:.1f} | `{key}` |")


if __name__ == "__main__":
    main()

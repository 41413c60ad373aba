#!/usr/bin/env python3
"""Keeps a representative subset of a minimized corpus within a size budget.

Usage: subset.py CONTROL_FILE CORPUS_DIR BUDGET_BYTES
CONTROL_FILE is a libFuzzer merge control file (`<target> -merge=1
-merge_control_file=CONTROL_FILE EMPTY_DIR CORPUS_DIR`), which lists the features each file
covers. Files are chosen greedily by new features per byte (weighted set cover) until the
budget is spent; the others are deleted from CORPUS_DIR. Prints how many features the subset
keeps out of all.
"""
import heapq
import os
import sys


def read_control(path):
    lines = open(path).read().split("\n")
    n = int(lines[0])
    files = lines[2:2 + n]
    feats = {}
    for line in lines[2 + n:]:
        parts = line.split()
        if parts and parts[0] == "FT":
            feats[int(parts[1])] = set(map(int, parts[2:]))
    return files, feats


def main():
    control, corpus, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files, feats = read_control(control)
    size = {i: os.path.getsize(f) for i, f in enumerate(files) if os.path.exists(f)}
    everything = set().union(*feats.values()) if feats else set()
    covered, chosen, spent = set(), [], 0
    heap = [(-len(fs) / max(size.get(i, 1), 1), i) for i, fs in feats.items() if i in size]
    heapq.heapify(heap)
    while heap:
        neg, i = heapq.heappop(heap)
        gain = len(feats[i] - covered)
        if gain == 0:
            continue
        score = gain / max(size[i], 1)
        if heap and score < -heap[0][0]:
            heapq.heappush(heap, (-score, i))  # stale: re-rank
            continue
        if spent + size[i] > budget:
            continue
        chosen.append(i)
        spent += size[i]
        covered |= feats[i]
    keep = {os.path.basename(files[i]) for i in chosen}
    for f in os.listdir(corpus):
        if f not in keep:
            os.remove(os.path.join(corpus, f))
    print(f"kept {len(keep)} files, {spent} bytes, {len(covered)}/{len(everything)} features")


if __name__ == "__main__":
    main()

"""The nearest valid key to a misspelt one ("did you mean max_message_bytes?")."""

from __future__ import annotations

from collections.abc import Iterable


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` by edit distance (a swap of two neighbours counts one),
    if close enough to be a slip: at most 1 edit in a short key, 2 in a longer, 3 in a long one.
    Case and ``-``/``_`` are ignored."""
    folded = _fold(word)
    best, best_distance = None, None
    for candidate in sorted(candidates):
        d = distance(folded, _fold(candidate))
        if best_distance is None or d < best_distance:
            best, best_distance = candidate, d
    if best is None or best_distance is None:
        return None
    allowed = 1 if len(word) <= 4 else 2 if len(word) <= 12 else 3
    return best if best_distance <= allowed else None


def _fold(word: str) -> str:
    return word.lower().replace("-", "_")


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, transpositions."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]

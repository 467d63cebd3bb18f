"""Where the records of a CSV start, from its bytes: numpy over the whole file, a slice at a time.

A record ends at a line break with an even number of quotes before it: a quoted field may hold line
breaks, and a quote inside one is doubled. A quote or line-break byte is never part of a longer
UTF-8 character, so the bytes need no decoding. The processed tables (figures.csv is 117 MB at
1,000 documents) are cut this way by the database (publish.database_csv) and the indicator pages
(publish.pages).
"""

from __future__ import annotations

import numpy as np

# a slice at a time: at 117 MB, masks of 1 MB cost a sixth of masks the size of the file (each of
# those is new memory for the system to map in)
SCAN_BYTES = 1 << 20


def record_starts(data: np.ndarray) -> tuple[np.ndarray, bool]:
    """The byte offsets just after each line break outside quotes (where a record starts, or the
    file ends), and whether the quotes balance at the end (False: the last record is unclosed)."""
    starts, parity = [], 0
    for at in range(0, len(data), SCAN_BYTES):
        piece = data[at : at + SCAN_BYTES]
        quotes = np.flatnonzero(piece == 34)
        breaks = np.flatnonzero(piece == 10)
        outside = ((np.searchsorted(quotes, breaks) + parity) & 1) == 0
        starts.append(breaks[outside] + (at + 1))
        parity = (parity + len(quotes)) & 1
    return (np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)), parity == 0

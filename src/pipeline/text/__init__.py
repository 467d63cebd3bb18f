"""Text: bytes to a decoded document, normalised with offsets kept; numerals; layout repair."""

"""JSON from outside (a browser's report, a provider's event) read without letting its shape cost us: nesting
deeper than any real document of ours is refused before it is parsed, as malformed JSON is, since the parser
recurses once a level and a few kilobytes of brackets would otherwise end a request in a RecursionError."""

import json
import re

#: Far deeper than the reports and events we read (three or four levels), far shallower than the parser's limit.
MAX_DEPTH = 32

# A string (to its end, or the text's: never tried again from inside, which would make the count quadratic) or
# a bracket outside strings.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.S)


def json_loads(data: bytes | str, *, max_depth: int = MAX_DEPTH):
    """The parsed JSON, or ValueError when it is not JSON, not UTF-8 or nested more than `max_depth` deep."""
    text = data.decode() if isinstance(data, bytes | bytearray) else data  # UnicodeDecodeError is a ValueError
    depth = 0
    for found in _STRING_OR_BRACKET.finditer(text):
        bracket = found.group()
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise ValueError(f"JSON nested more than {max_depth} deep")
        elif bracket in "]}":
            depth -= 1
    return json.loads(text)

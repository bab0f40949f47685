"""The API's JSON parser: a body that cannot be a request is a 400, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser


def nul_field(data: Any) -> str | None:
    """The dotted path of the first string (value or key) in `data` holding a NUL byte, if any.

    Iterative, so a body nested as deep as the decoder allows cannot overflow the stack here.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or "body"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return name
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]" if path else f"[{i}]", item) for i, item in enumerate(value))
    return None


class SafeJSONParser(JSONParser):
    """JSONParser that answers 400 for a body nested too deep or holding a NUL byte in a string.

    Python's decoder recurses once per `[` or `{`, so 100,000 of them raise RecursionError
    (a 500 on every JSON endpoint). A NUL (`\\u0000`) is valid JSON, but PostgreSQL cannot
    store it in text and refuses the query (another 500).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if (field := nul_field(data)) is not None:
            raise ValidationError({field: ["Must not contain a NUL character."]})
        return data

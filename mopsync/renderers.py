"""The API's JSON, encoded by orjson (issue 7: the encoding of a page was its largest
single cost after the queries; kept for the make bench rows "campaign list ÷ /me/" ≥ 35%
and "queue ÷ /me/" ≥ 25%, which missed before it).

The output is DRF's `JSONRenderer`'s, byte for byte, under the settings the API runs
with (compact, UTF-8, strict): orjson writes the same compact separators and unescaped
UTF-8, and everything it does not encode the way Python's `json` does (dates, times,
decimals, lazy strings, dataclasses) is handed to DRF's own encoder through `default`.
A document orjson refuses (an integer over 64 bits) and any request for indented output
(`Accept: application/json; indent=4`) go to DRF's renderer unchanged.
tests/test_renderers.py compares the two on the API's answers and on odd values.

One difference, in a case the API does not produce: a float NaN or infinity is `null`
here, where DRF's strict encoder raises.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

# Dates and dataclasses go to `default` (DRF's encoder), as Python's json would send them.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
# DRF escapes these two for JavaScript (they end a line there, not in JSON); so do we.
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))
_default = JSONEncoder().default


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if not self._plain(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in LINE_SEPARATORS:
            if raw in text:
                text = text.replace(raw, escaped)
        return text

    def _plain(self, accepted_media_type, renderer_context) -> bool:
        """Whether DRF would write compact UTF-8 here: what orjson writes."""
        return (
            self.get_indent(accepted_media_type, renderer_context) is None
            and self.compact
            and not self.ensure_ascii
            and self.encoder_class is JSONEncoder
        )

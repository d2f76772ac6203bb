"""A filter that checks a tag mapping against AWS's tag rules before any AWS call, with only the standard library."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: tag_error
short_description: Why a mapping is not a set of tags AWS accepts, or an empty string when it is
description:
  - Applies the rules the EC2, ELB, S3, DynamoDB and CloudFront tagging APIs share, so a bad tag fails up front
    instead of halfway through a run that has already tagged other resources.
  - "Keys are 1..128 characters, values at most 256, both letters, digits, spaces and C(_ . : / = + - @);
    a key may not start with C(aws:) (reserved for AWS); at most 50 tags."
options:
  _input: {description: The tags, a mapping of key to value., type: raw, required: true}
"""

_ALLOWED = r"[\w .:/=+@-]"
_KEY = re.compile(rf"^{_ALLOWED}{{1,128}}$")
_VALUE = re.compile(rf"^{_ALLOWED}{{0,256}}$")
ALLOWED = "keys 1..128 and values 0..256 letters, digits, spaces or _ . : / = + - @, no key starting with aws:"
MAX_TAGS = 50


def tag_error(tags: Any) -> str:
    if not isinstance(tags, dict):
        return f"must be a mapping of tag keys to string values, got {tags!r}"
    if len(tags) > MAX_TAGS:
        return f"has {len(tags)} tags; AWS allows at most {MAX_TAGS} per resource"
    for key, value in tags.items():
        if not isinstance(key, str) or not _KEY.match(key):
            return f"tag key {key!r} is not allowed ({ALLOWED})"
        if key.lower().startswith("aws:"):
            return f"tag key {key!r} starts with aws:, which AWS reserves for its own tags"
        if not isinstance(value, str):
            return f"tag {key!r} has the value {value!r}; values must be strings (quote it)"
        if not _VALUE.match(value):
            return f"tag {key!r} has the value {value[:60]!r}, not allowed ({ALLOWED})"
    return ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tag_error": tag_error}

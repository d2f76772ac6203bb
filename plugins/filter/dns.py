"""Filters that check DNS names and URL paths before any AWS call, with only the standard library."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: dns_name_error
short_description: Why a value is not a usable DNS domain name, or an empty string when it is
description:
  - Checks a domain the way Route 53, ACM and CloudFront accept it (RFC 1123 host names, at least two labels,
    each label 1..63 letters, digits or hyphens not at either end, 253 characters in all, a final dot allowed).
  - Also provides C(url_path_error) for health-check paths (a leading slash, no spaces, no query, at most 255).
options:
  _input: {description: The domain name, for example example.com., type: str, required: true}
"""

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


def dns_name_error(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return f"{value!r} is not a domain name; give one such as example.com"
    name = value[:-1] if value.endswith(".") else value
    if len(name) > 253:
        return f"{value} is longer than 253 characters"
    labels = name.split(".")
    if len(labels) < 2:
        return f"{value} has a single label; give a domain such as example.com"
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        return (
            f"{value} is not a valid DNS name: label(s) {', '.join(repr(b) for b in bad)} must be 1..63 lowercase "
            "letters, digits or hyphens, not starting or ending with a hyphen"
        )
    if labels[-1].isdigit():
        return f"{value} ends in a numeric label; top-level domains are not numbers"
    return ""


def url_path_error(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        return f"{value!r} must start with a slash, e.g. /readyz"
    if len(value) > 255:
        return f"{value[:40]}... is longer than 255 characters"
    if not _PATH.match(value):
        return f"{value!r} may hold only URL path characters (no spaces, no query string)"
    return ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"dns_name_error": dns_name_error, "url_path_error": url_path_error}

"""Filters for checking role inputs up front (roles/preflight)."""

from __future__ import annotations

from typing import Any

DOCUMENTATION = r"""
name: literal_defaults_only
short_description: An argument spec without the defaults that are Jinja expressions
description:
  - Role argument specs may document a default such as C("{{ project_tags }}"); checked outside the role
    such a default is an unrendered string and fails its own type. This drops those defaults, so only the
    values the inventory or the command line really set are type-checked.
options:
  _input: {description: The options of an argument spec (argument_specs.main.options)., type: dict, required: true}
"""


def literal_defaults_only(options: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, spec in options.items():
        spec = dict(spec)
        default = spec.get("default")
        if isinstance(default, str) and "{{" in default:
            del spec["default"]
        if isinstance(spec.get("options"), dict):
            spec["options"] = literal_defaults_only(spec["options"])
        cleaned[name] = spec
    return cleaned


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"literal_defaults_only": literal_defaults_only}

"""The registry of fixes applied to moto before the server starts.

Each fix is a module with a docstring naming the AWS behaviour it restores and an ``apply()`` function that
monkeypatches moto. ``apply_all()`` applies each exactly once, in the order of ``FIXES``.

``EMULATOR_DISABLE_FIXES`` (comma-separated fix names, or ``all``) skips fixes: it is how the test suite shows
that each test fails on stock moto.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

FIXES: tuple[str, ...] = (
    "dynamodb_table_id",
    "launch_template_versions",
    "launch_template_tags",
    "launch_template_instance_settings",
    "autoscaling_metrics",
    "autoscaling_group_update",
    "autoscaling_lifecycle",
    "autoscaling_instance_refresh",
    "nat_gateway_tags",
    "managed_prefix_lists",
    "ssm_al2023_ami",
    "acm_imported_chain",
    "acm_dns_validation",
    "acm_in_use_by",
    "elbv2_alb_attributes",
    "dynamodb_global_tables",
    "dynamodb_replica_settings",
    "cloudfront_origin_groups",
)

_applied: list[str] = []


def load(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def disabled() -> set[str]:
    names = {n.strip() for n in os.environ.get("EMULATOR_DISABLE_FIXES", "").split(",") if n.strip()}
    return set(FIXES) if "all" in names else names


def apply_all() -> list[str]:
    """Apply every fix not applied yet and not disabled; return the names applied so far."""
    skip = disabled()
    for name in FIXES:
        if name not in _applied and name not in skip:
            load(name).apply()
            _applied.append(name)
    return list(_applied)

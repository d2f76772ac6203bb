"""Configuration, read only from environment variables (see README.md for the list)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# DynamoDB rejects items over 400 KB; the body limit keeps room for keys and attributes.
DYNAMODB_ITEM_LIMIT = 400 * 1024
MAX_BODY_CEILING = 350 * 1024
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class ConfigError(ValueError):
    """Raised at start-up so a misconfigured instance never reports ready."""


@dataclass(frozen=True)
class Config:
    table_name: str
    region: str
    peer_regions: tuple[str, ...] = ()
    colour: str = "unknown"
    version: str = "0.0.0"
    instance_id: str = "local"
    availability_zone: str = "unknown"
    endpoint_url: str | None = None
    max_body_bytes: int = 256 * 1024
    ready_timeout_s: float = 1.0
    heartbeat_interval_s: float = 1.0
    heartbeat_ttl_s: int = 3600
    lag_alarm_ms: int = 3000
    drain_file: str | None = None
    log_level: str = "INFO"
    page_records: int = 10
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.table_name:
            raise ConfigError("APP_TABLE_NAME is required")
        for region in (self.region, *self.peer_regions):
            if not _REGION_RE.match(region):
                raise ConfigError(f"not an AWS region name: {region!r}")
        if self.region in self.peer_regions:
            raise ConfigError("APP_PEER_REGIONS must not contain AWS_REGION itself")
        if not 1 <= self.max_body_bytes <= MAX_BODY_CEILING:
            raise ConfigError(f"APP_MAX_BODY_BYTES must be between 1 and {MAX_BODY_CEILING}")
        if self.ready_timeout_s <= 0:
            raise ConfigError("APP_READY_TIMEOUT_SECONDS must be positive")
        if self.heartbeat_interval_s < 0:
            raise ConfigError("APP_HEARTBEAT_INTERVAL_SECONDS must be >= 0 (0 disables)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        peers = tuple(p.strip() for p in env.get("APP_PEER_REGIONS", "").split(",") if p.strip())
        return cls(
            table_name=env.get("APP_TABLE_NAME", ""),
            region=region,
            peer_regions=peers,
            colour=env.get("APP_COLOUR", "unknown"),
            version=env.get("APP_VERSION", "0.0.0"),
            instance_id=env.get("APP_INSTANCE_ID", "local"),
            availability_zone=env.get("APP_AZ", "unknown"),
            # No endpoint here on purpose: boto3 itself honours AWS_ENDPOINT_URL and the per-service
            # AWS_ENDPOINT_URL_DYNAMODB, which an explicit endpoint_url would override.
            max_body_bytes=_int(env, "APP_MAX_BODY_BYTES", 256 * 1024),
            ready_timeout_s=_float(env, "APP_READY_TIMEOUT_SECONDS", 1.0),
            heartbeat_interval_s=_float(env, "APP_HEARTBEAT_INTERVAL_SECONDS", 1.0),
            heartbeat_ttl_s=_int(env, "APP_HEARTBEAT_TTL_SECONDS", 3600),
            lag_alarm_ms=_int(env, "APP_LAG_ALARM_MS", 3000),
            drain_file=env.get("APP_DRAIN_FILE") or None,
            log_level=env.get("APP_LOG_LEVEL", "INFO").upper(),
            page_records=_int(env, "APP_PAGE_RECORDS", 10),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None

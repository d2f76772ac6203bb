"""CloudFront: origin groups as cache behaviour targets, and the distribution lifecycle rules AWS enforces.

AWS behaviour restored, with the documentation each part follows:

- A cache behaviour, the default one included, may target an origin group instead of an origin
  (CloudFront Developer Guide, "Optimize high availability with CloudFront origin failover": "create or update
  a cache behavior to use the origin group"; API Reference, ``OriginGroup``). Stock moto checks the default
  behaviour's ``TargetOriginId`` against the origins only and answers ``NoSuchOrigin``; it never checks the
  other behaviours' targets at all. Here every behaviour's target must name an origin or an origin group
  (``NoSuchOrigin`` otherwise, as AWS).
- An origin group holds exactly two members, each an origin of the distribution ("An origin group includes
  two origins (a primary origin and a secondary origin ...)", API Reference ``OriginGroup``), and fails over
  only on 400, 403, 404, 416, 500, 502, 503 or 504 (Developer Guide, "Create an origin group").
- CloudFront fails over only for GET, HEAD and OPTIONS (Developer Guide, "Request and response behavior for
  origin groups"), and CreateDistribution/UpdateDistribution refuse a behaviour that targets an origin group
  while allowing other methods: ``InvalidArgument`` "The parameter AllowedMethods cannot include POST, PUT,
  PATCH, or DELETE for a cached behavior associated with an origin group."
- With the default CloudFront certificate (``CloudFrontDefaultCertificate: true``) the security policy is
  always TLSv1, whatever ``MinimumProtocolVersion`` says (API Reference, ``ViewerCertificate``); with an ACM
  or IAM certificate and no ``CloudFrontDefaultCertificate``, it is false (moto assumed true).
- Every UpdateDistribution gives the distribution a new ETag, and UpdateDistribution/DeleteDistribution with
  an ``IfMatch`` that is not the current ETag fail with ``PreconditionFailed`` (412) (API Reference,
  ``UpdateDistribution``, ``DeleteDistribution``); stock moto keeps one ETag forever and accepts any value.
- DeleteDistribution of a distribution that is still enabled fails with ``DistributionNotDisabled`` (409):
  "you must first disable the distribution" (API Reference, ``DeleteDistribution``).
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront import models
from moto.cloudfront.exceptions import CloudFrontException, OriginDoesNotExist

FAILOVER_STATUS_CODES = frozenset({400, 403, 404, 416, 500, 502, 503, 504})
FAILOVER_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class InvalidArgument(CloudFrontException):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidArgument", message)


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("PreconditionFailed", "The If-Match version is not valid for the resource.")


class DistributionNotDisabled(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")


def _items(container: Any) -> list[Any]:
    """``{Quantity, Items}`` -> Items; the XML parser leaves Items out when Quantity is 0."""
    if not isinstance(container, dict):
        return []
    items = container.get("Items") or []
    return list(items) if isinstance(items, list) else [items]


def _check_origin_groups(groups: list[dict[str, Any]], origin_ids: set[str]) -> None:
    for group in groups:
        members = [m.get("OriginId") for m in _items(group.get("Members"))]
        if len(members) != 2:
            raise InvalidArgument(f"Origin group {group.get('Id')} must have exactly two members.")
        if not set(members) <= origin_ids:
            raise OriginDoesNotExist
        codes = {int(code) for code in _items((group.get("FailoverCriteria") or {}).get("StatusCodes"))}
        if not codes or not codes <= FAILOVER_STATUS_CODES:
            raise InvalidArgument(
                f"The parameter FailoverCriteria StatusCodes of origin group {group.get('Id')} must be one or more"
                f" of {sorted(FAILOVER_STATUS_CODES)}."
            )


def _check_behaviours(config: dict[str, Any], origin_ids: set[str], group_ids: set[str]) -> None:
    behaviours = [config.get("DefaultCacheBehavior") or {}, *_items(config.get("CacheBehaviors"))]
    for behaviour in behaviours:
        target = behaviour.get("TargetOriginId")
        if target not in origin_ids | group_ids:
            raise OriginDoesNotExist
        methods = set(_items(behaviour.get("AllowedMethods"))) or {"GET", "HEAD"}
        if target in group_ids and not methods <= FAILOVER_METHODS:
            raise InvalidArgument(
                "The parameter AllowedMethods cannot include POST, PUT, PATCH, or DELETE for a cached behavior"
                " associated with an origin group."
            )


def _patch_distribution_config() -> None:
    original_init = models.DistributionConfig.__init__

    def init(self: models.DistributionConfig, config: dict[str, Any]) -> None:
        origins = _items(config.get("Origins"))
        origin_ids = {o.get("Id") for o in origins}
        groups = _items(config.get("OriginGroups"))
        group_ids = {g.get("Id") for g in groups}
        _check_origin_groups(groups, origin_ids)
        _check_behaviours(config, origin_ids, group_ids)
        viewer_certificate = dict(config.get("ViewerCertificate") or {})

        default = config.get("DefaultCacheBehavior") or {}
        target = default.get("TargetOriginId")
        if target in group_ids and origins:
            # moto's own check knows origins only; hand it one, then put the group back.
            default["TargetOriginId"] = origins[0]["Id"]
            original_init(self, config)
            self.DefaultCacheBehavior.target_origin_id = target
        else:
            original_init(self, config)

        certificate = self.ViewerCertificate
        if "CloudFrontDefaultCertificate" not in viewer_certificate:
            custom = viewer_certificate.get("ACMCertificateArn") or viewer_certificate.get("IAMCertificateId")
            certificate.cloud_front_default_certificate = not custom
        if certificate.cloud_front_default_certificate:
            certificate.minimum_protocol_version = "TLSv1"

    models.DistributionConfig.__init__ = init  # type: ignore[method-assign]


def _patch_etags() -> None:
    backend = models.CloudFrontBackend
    original_update = backend.update_distribution
    original_delete = backend.delete_distribution

    def check_if_match(self: models.CloudFrontBackend, distribution_id: str, if_match: Any) -> None:
        dist = self.distributions.get(distribution_id)
        # A missing IfMatch or distribution keeps moto's own errors (InvalidIfMatchVersion, NoSuchDistribution).
        if dist is not None and if_match and if_match != dist.etag:
            raise PreconditionFailed

    def update_distribution(
        self: models.CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: Any
    ) -> tuple[models.Distribution, str, str]:
        check_if_match(self, _id, if_match)
        dist, location, _ = original_update(self, dist_config=dist_config, _id=_id, if_match=if_match)
        dist.etag = models.random_id()
        return dist, location, dist.etag

    def delete_distribution(self: models.CloudFrontBackend, distribution_id: str, if_match: Any) -> None:
        check_if_match(self, distribution_id, if_match)
        dist = self.distributions.get(distribution_id)
        if dist is not None and if_match and dist.distribution_config.Enabled:
            raise DistributionNotDisabled
        original_delete(self, distribution_id, if_match)

    backend.update_distribution = update_distribution  # type: ignore[method-assign]
    backend.delete_distribution = delete_distribution  # type: ignore[method-assign]


def apply() -> None:
    _patch_distribution_config()
    _patch_etags()

"""CloudFront origin groups as behaviour targets, default-certificate TLS policy, ETags and delete rules."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


def _origin(origin_id: str, domain: str) -> dict[str, Any]:
    return {
        "Id": origin_id,
        "DomainName": domain,
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
        },
    }


def _behaviour(target: str, methods: list[str], path: str | None = None) -> dict[str, Any]:
    behaviour: dict[str, Any] = {
        "TargetOriginId": target,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {
            "Quantity": len(methods),
            "Items": methods,
            "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
        },
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    }
    if path is not None:
        behaviour["PathPattern"] = path
    return behaviour


def _config(
    default_target: str = "group",
    codes: list[int] | None = None,
    members: list[str] | None = None,
    api: dict[str, Any] | None = None,
    viewer_certificate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    codes = codes or [500, 502, 503, 504]
    members = members or ["primary", "failover"]
    return {
        "CallerReference": str(uuid.uuid4()),
        "Comment": "origin group test",
        "Enabled": True,
        "Origins": {
            "Quantity": 2,
            "Items": [_origin("primary", "origin.example.com"), _origin("failover", "us.example.com")],
        },
        "OriginGroups": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "group",
                    "FailoverCriteria": {"StatusCodes": {"Quantity": len(codes), "Items": codes}},
                    "Members": {"Quantity": len(members), "Items": [{"OriginId": m} for m in members]},
                }
            ],
        },
        "DefaultCacheBehavior": _behaviour(default_target, ["GET", "HEAD", "OPTIONS"]),
        "CacheBehaviors": {"Quantity": 1, "Items": [api or _behaviour("primary", ALL_METHODS, "/api/*")]},
        "ViewerCertificate": viewer_certificate
        or {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
    }


def _error(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_default_behaviour_targets_an_origin_group(client) -> None:
    cf = client("cloudfront", "us-east-1")
    created = cf.create_distribution(DistributionConfig=_config())
    dist_id = created["Distribution"]["Id"]
    config = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "group"
    [group] = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["primary", "failover"]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [500, 502, 503, 504]
    assert config["CacheBehaviors"]["Items"][0]["TargetOriginId"] == "primary"


def test_update_keeps_an_origin_group_target(client) -> None:
    cf = client("cloudfront", "us-east-1")
    created = cf.create_distribution(DistributionConfig=_config(default_target="primary"))
    dist_id = created["Distribution"]["Id"]
    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    config["DefaultCacheBehavior"]["TargetOriginId"] = "group"
    cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["DefaultCacheBehavior"]["TargetOriginId"] == (
        "group"
    )


@pytest.mark.parametrize("where", ["default", "cache_behaviour"])
def test_unknown_target_is_refused(client, where: str) -> None:
    cf = client("cloudfront", "us-east-1")
    if where == "default":
        config = _config(default_target="nowhere")
    else:
        config = _config(default_target="primary", api=_behaviour("nowhere", ALL_METHODS, "/api/*"))
    with pytest.raises(ClientError) as exc:
        cf.create_distribution(DistributionConfig=config)
    assert _error(exc) == "NoSuchOrigin"


def test_group_with_write_methods_is_refused(client) -> None:
    cf = client("cloudfront", "us-east-1")
    with pytest.raises(ClientError) as exc:
        cf.create_distribution(DistributionConfig=_config(api=_behaviour("group", ALL_METHODS, "/api/*")))
    assert _error(exc) == "InvalidArgument"
    assert "AllowedMethods cannot include POST" in exc.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("codes", "members", "code"),
    [
        ([500, 501], None, "InvalidArgument"),  # 501 is not a status CloudFront fails over on
        (None, ["primary", "ghost"], "NoSuchOrigin"),
    ],
)
def test_bad_origin_group_is_refused(client, codes: list[int] | None, members: list[str] | None, code: str) -> None:
    # The default behaviour targets an origin, so only the group itself can be at fault.
    # (A group of one is refused by botocore's own validation before it is sent.)
    cf = client("cloudfront", "us-east-1")
    with pytest.raises(ClientError) as exc:
        cf.create_distribution(DistributionConfig=_config(default_target="primary", codes=codes, members=members))
    assert _error(exc) == code


def test_default_certificate_reports_tlsv1(client) -> None:
    cf = client("cloudfront", "us-east-1")
    dist_id = cf.create_distribution(DistributionConfig=_config())["Distribution"]["Id"]
    certificate = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["ViewerCertificate"]
    assert certificate["CloudFrontDefaultCertificate"] is True
    assert certificate["MinimumProtocolVersion"] == "TLSv1"


def test_acm_certificate_is_not_the_default_one(client) -> None:
    cf = client("cloudfront", "us-east-1")
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/" + str(uuid.uuid4())
    viewer = {"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    dist_id = cf.create_distribution(DistributionConfig=_config(viewer_certificate=viewer))["Distribution"]["Id"]
    certificate = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["ViewerCertificate"]
    assert certificate["CloudFrontDefaultCertificate"] is False
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_update_rotates_the_etag_and_refuses_a_stale_one(client) -> None:
    cf = client("cloudfront", "us-east-1")
    dist_id = cf.create_distribution(DistributionConfig=_config())["Distribution"]["Id"]
    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    config["Comment"] = "changed"
    updated = cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert updated["ETag"] != got["ETag"]
    assert cf.get_distribution(Id=dist_id)["ETag"] == updated["ETag"]
    with pytest.raises(ClientError) as exc:
        cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert _error(exc) == "PreconditionFailed"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_delete_needs_a_disabled_distribution_and_the_current_etag(client) -> None:
    cf = client("cloudfront", "us-east-1")
    dist_id = cf.create_distribution(DistributionConfig=_config())["Distribution"]["Id"]
    got = cf.get_distribution_config(Id=dist_id)
    with pytest.raises(ClientError) as exc:
        cf.delete_distribution(Id=dist_id, IfMatch=got["ETag"])
    assert _error(exc) == "DistributionNotDisabled"
    config = got["DistributionConfig"]
    config["Enabled"] = False
    disabled = cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    with pytest.raises(ClientError) as exc:
        cf.delete_distribution(Id=dist_id, IfMatch=got["ETag"])
    assert _error(exc) == "PreconditionFailed"
    cf.delete_distribution(Id=dist_id, IfMatch=disabled["ETag"])
    with pytest.raises(ClientError) as exc:
        cf.get_distribution(Id=dist_id)
    assert _error(exc) == "NoSuchDistribution"

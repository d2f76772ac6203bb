"""cloudfront_failover_distribution against the emulator: check mode, create, idempotence, update, diff, delete."""

from __future__ import annotations

from typing import Any

from module_runner import ModuleResult, run_module

MODULE = "cloudfront_failover_distribution"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b0e5c53-8d2a-4d4f-9a59-6f0c7b1f2c11"


def _args(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "primary_origin": "origin.example.com",
        "failover_origin": "us-west-2.origin.example.com",
        "tags": {"Project": "tricontinent"},
        **extra,
    }


def _run(emulator, args: dict[str, Any], *, check: bool = False, diff: bool = False) -> ModuleResult:
    return run_module(emulator.url, MODULE, args, region="us-east-1", check=check, diff=diff)


def _with_comment(client, name: str) -> list[dict[str, Any]]:
    items = client("cloudfront", "us-east-1").list_distributions()["DistributionList"].get("Items") or []
    return [d for d in items if d["Comment"] == name]


def _config(client, dist_id: str) -> dict[str, Any]:
    return client("cloudfront", "us-east-1").get_distribution_config(Id=dist_id)["DistributionConfig"]


def test_check_mode_create_changes_nothing(emulator, client, unique) -> None:
    emulator.reset_calls()
    result = _run(emulator, _args(unique), check=True)
    assert not result.failed, result.msg
    assert result.changed
    assert result["distribution_id"] == ""
    assert result["hosted_zone_id"] == "Z2FDTNDATAQYW2"
    assert emulator.calls()["mutating"] == []
    assert _with_comment(client, unique) == []


def test_create_then_rerun_is_idempotent(emulator, client, unique) -> None:
    created = _run(emulator, _args(unique))
    assert not created.failed, created.msg
    assert created.changed
    assert created["status"] == "Deployed"
    assert created["domain_name"].endswith(".cloudfront.net")
    assert created["origin_group_id"] == "failover-group"
    [summary] = _with_comment(client, unique)
    assert summary["Id"] == created["distribution_id"]

    config = _config(client, created["distribution_id"])
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "failover-group"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["Compress"] is True
    assert sorted(default["AllowedMethods"]["Items"]) == ["GET", "HEAD", "OPTIONS"]
    assert default["CachePolicyId"] == "83da9c7e-98b4-4e11-a168-04f0df8e2c65"
    [group] = config["OriginGroups"]["Items"]
    assert group["Id"] == "failover-group"
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["primary", "failover"]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [500, 502, 503, 504]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["primary"]["DomainName"] == "origin.example.com"
    assert origins["failover"]["DomainName"] == "us-west-2.origin.example.com"
    for origin in origins.values():
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert origin["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
        assert origin["CustomOriginConfig"]["OriginReadTimeout"] == 30
        assert origin["ConnectionAttempts"] == 3
    # Writes cannot go to an origin group: the API behaviour targets the primary origin, uncached.
    [api] = config["CacheBehaviors"]["Items"]
    assert api["PathPattern"] == "/api/*"
    assert api["TargetOriginId"] == "primary"
    assert set(api["AllowedMethods"]["Items"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert api["OriginRequestPolicyId"] == "216adef6-5c7f-47e4-b989-5492eafa07d3"
    assert config["HttpVersion"] == "http2and3"
    assert config["IsIPV6Enabled"] is True
    tags = client("cloudfront", "us-east-1").list_tags_for_resource(Resource=created["arn"])["Tags"]["Items"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Name": unique, "Project": "tricontinent"}

    emulator.reset_calls()
    again = _run(emulator, _args(unique))
    assert not again.failed, again.msg
    assert not again.changed
    assert again["distribution_id"] == created["distribution_id"]
    assert emulator.calls()["mutating"] == []


def test_changed_failover_origin_updates_in_place_with_diff(emulator, client, unique) -> None:
    created = _run(emulator, _args(unique))
    assert created.changed, created.msg
    caller_reference = _config(client, created["distribution_id"])["CallerReference"]
    new_args = _args(unique, failover_origin="eu-west-1.origin.example.com", failover_status_codes=[502, 503])

    checked = _run(emulator, new_args, check=True, diff=True)
    assert checked.changed, checked.msg
    before, after = checked["diff"]["before"], checked["diff"]["after"]
    domains = {o["Id"]: o["DomainName"] for o in after["Origins"]["Items"]}
    assert domains["failover"] == "eu-west-1.origin.example.com"
    assert {o["Id"]: o["DomainName"] for o in before["Origins"]["Items"]}["failover"] == (
        "us-west-2.origin.example.com"
    )
    assert after["OriginGroups"]["Items"][0]["FailoverCriteria"]["StatusCodes"]["Items"] == [502, 503]
    unchanged = _config(client, created["distribution_id"])
    assert {o["Id"]: o["DomainName"] for o in unchanged["Origins"]["Items"]}["failover"] == (
        "us-west-2.origin.example.com"
    )

    updated = _run(emulator, new_args, diff=True)
    assert updated.changed, updated.msg
    assert updated["distribution_id"] == created["distribution_id"]
    assert updated["etag"] != created["etag"]
    config = _config(client, created["distribution_id"])
    assert {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}["failover"] == (
        "eu-west-1.origin.example.com"
    )
    assert sorted(config["OriginGroups"]["Items"][0]["FailoverCriteria"]["StatusCodes"]["Items"]) == [502, 503]
    assert config["CallerReference"] == caller_reference
    assert len(_with_comment(client, unique)) == 1

    emulator.reset_calls()
    assert not _run(emulator, new_args).changed
    assert emulator.calls()["mutating"] == []


def test_tags_converge(emulator, client, unique) -> None:
    created = _run(emulator, _args(unique))
    assert created.changed, created.msg
    cf = client("cloudfront", "us-east-1")
    cf.tag_resource(Resource=created["arn"], Tags={"Items": [{"Key": "Stray", "Value": "x"}]})
    result = _run(emulator, _args(unique, tags={"Project": "tricontinent", "Owner": "edge"}))
    assert result.changed, result.msg
    tags = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=created["arn"])["Tags"]["Items"]}
    assert tags == {"Name": unique, "Project": "tricontinent", "Owner": "edge"}


def test_aliases_with_certificate(emulator, client, unique) -> None:
    result = _run(emulator, _args(unique, aliases=["www.example.com"], certificate_arn=CERTIFICATE))
    assert result.changed, result.msg
    config = _config(client, result["distribution_id"])
    assert config["Aliases"]["Items"] == ["www.example.com"]
    certificate = config["ViewerCertificate"]
    assert certificate["ACMCertificateArn"] == CERTIFICATE
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate["SSLSupportMethod"] == "sni-only"
    emulator.reset_calls()
    assert not _run(emulator, _args(unique, aliases=["www.example.com"], certificate_arn=CERTIFICATE)).changed
    assert emulator.calls()["mutating"] == []


def test_bad_input_fails_before_any_change(emulator, client, unique) -> None:
    emulator.reset_calls()
    bad_code = _run(emulator, _args(unique, failover_status_codes=[500, 501]))
    assert bad_code.failed
    assert "501" in bad_code.msg and "failover_status_codes" in bad_code.msg
    no_certificate = _run(emulator, _args(unique, aliases=["www.example.com"]))
    assert no_certificate.failed
    assert "certificate_arn" in no_certificate.msg
    wrong_region = _run(
        emulator,
        _args(unique, aliases=["www.example.com"], certificate_arn=CERTIFICATE.replace("us-east-1", "eu-west-1")),
    )
    assert wrong_region.failed
    assert "us-east-1" in wrong_region.msg
    no_origin = _run(emulator, {"name": unique, "primary_origin": "origin.example.com"})
    assert no_origin.failed
    assert "failover_origin" in no_origin.msg
    assert emulator.calls()["mutating"] == []
    assert _with_comment(client, unique) == []


def test_two_distributions_with_the_name_fail_clearly(emulator, client, unique) -> None:
    first = _run(emulator, _args(unique))
    assert first.changed, first.msg
    cf = client("cloudfront", "us-east-1")
    config = _config(client, first["distribution_id"])
    config["CallerReference"] = f"{unique}-copy"
    cf.create_distribution(DistributionConfig=config)
    result = _run(emulator, _args(unique))
    assert result.failed
    assert "2 distributions" in result.msg and unique in result.msg


def test_absent_disables_then_deletes_and_is_idempotent(emulator, client, unique) -> None:
    created = _run(emulator, _args(unique))
    assert created.changed, created.msg

    checked = _run(emulator, {"name": unique, "state": "absent"}, check=True)
    assert checked.changed, checked.msg
    assert len(_with_comment(client, unique)) == 1

    emulator.reset_calls()
    removed = _run(emulator, {"name": unique, "state": "absent"})
    assert removed.changed, removed.msg
    assert _with_comment(client, unique) == []
    actions = [call["action"] for call in emulator.calls()["mutating"] if call["service"] == "cloudfront"]
    # Disabled first (CloudFront deletes only disabled distributions), then deleted with the new ETag.
    assert actions == ["UpdateDistribution", "DeleteDistribution"], actions

    again = _run(emulator, {"name": unique, "state": "absent"})
    assert not again.failed, again.msg
    assert not again.changed

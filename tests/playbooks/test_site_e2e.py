"""site.yml end to end on a private emulator: build, re-run (changed=0), --check (changed=0), each region's
stack and the global layer through the AWS API, a region dropped from the inventory, destroy (nothing left
but the final backup), destroy again (changed=0), destroy of a half-built stack."""

from __future__ import annotations

import time

import least_privilege
import pytest
import yaml
from playbook_runner import REPO, run_playbook
from stack_scan import DOMAIN, EDGE_REGION, PREFIX, REGIONS, TABLE, leftovers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployed(stack_emulator):
    run = run_playbook(stack_emulator.url, "site.yml")
    assert run.returncode == 0, run.output[-5000:]
    return run


def test_first_run_builds_every_region_and_prints_the_summary(deployed):
    assert set(deployed.recap) >= {"us", "eu", "au"}
    assert all(deployed.changed[h] > 0 for h in ("us", "eu", "au"))
    for region in REGIONS:
        assert f"| {region}" in deployed.output or f" {region} " in deployed.output
    assert "asg desired/in service" in deployed.output
    assert f"users: https://{DOMAIN} (CloudFront " in deployed.output


def test_second_run_changes_nothing_and_makes_no_mutating_call(stack_emulator, deployed):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "site.yml")
    assert run.returncode == 0, run.output[-5000:]
    assert run.changed and set(run.changed.values()) == {0}, run.changed
    # changed=0 is the modules' word; the emulator's call log is what was actually sent.
    mutating = sorted({(c["service"], c["region"], c["action"]) for c in stack_emulator.calls()["mutating"]})
    assert mutating == [], mutating


def test_check_mode_on_the_built_stack_changes_nothing(stack_emulator, deployed):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "site.yml", "--check")
    assert run.returncode == 0, run.output[-5000:]
    assert set(run.changed.values()) == {0}, run.changed
    assert stack_emulator.calls()["mutating"] == []


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_has_the_whole_stack(stack_emulator, deployed, region):
    ec2 = stack_emulator.client("ec2", region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX]}])["Vpcs"]
    assert len(vpcs) == 1
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
    tiers = {(s["AvailabilityZone"], {t["Key"]: t["Value"] for t in s["Tags"]}["Tier"]) for s in subnets}
    assert len({az for az, _ in tiers}) == 3
    assert {tier for _, tier in tiers} == {"public", "private"} and len(tiers) == 6

    elb = stack_emulator.client("elbv2", region)
    albs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == PREFIX]
    assert len(albs) == 1
    listeners = elb.describe_listeners(LoadBalancerArn=albs[0]["LoadBalancerArn"])["Listeners"]
    assert sorted(listener["Port"] for listener in listeners) == [80, 443]
    https = next(listener for listener in listeners if listener["Port"] == 443)
    forward = next(a for a in https["DefaultActions"] if a["Type"] == "forward")
    weights = {
        tg["TargetGroupArn"].split(":targetgroup/")[1].split("/")[0]: tg["Weight"]
        for tg in forward["ForwardConfig"]["TargetGroups"]
    }
    assert weights == {f"{PREFIX}-blue": 100, f"{PREFIX}-green": 0}
    groups = [tg for tg in elb.describe_target_groups()["TargetGroups"] if tg["TargetGroupName"].startswith(PREFIX)]
    assert sorted(tg["TargetGroupName"] for tg in groups) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    assert {tg["HealthCheckPath"] for tg in groups} == {"/readyz"}

    autoscaling = stack_emulator.client("autoscaling", region)
    asgs = {
        g["AutoScalingGroupName"]: g
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        if g["AutoScalingGroupName"].startswith(PREFIX)
    }
    assert sorted(asgs) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    assert asgs[f"{PREFIX}-blue"]["DesiredCapacity"] >= 3 and asgs[f"{PREFIX}-green"]["DesiredCapacity"] == 0
    for name in asgs:
        hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=name)["LifecycleHooks"]
        assert sorted(h["LifecycleTransition"] for h in hooks) == [
            "autoscaling:EC2_INSTANCE_LAUNCHING",
            "autoscaling:EC2_INSTANCE_TERMINATING",
        ]

    templates = ec2.describe_launch_templates(Filters=[{"Name": "tag:Project", "Values": ["tricontinent"]}])[
        "LaunchTemplates"
    ]
    assert len(templates) == 2
    for template in templates:
        version = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
        )
        data = version["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"

    cloudwatch = stack_emulator.client("cloudwatch", region)
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    peers = sorted(set(REGIONS) - {region})
    assert sorted(a["AlarmName"] for a in alarms) == sorted(
        [
            f"{PREFIX}-{colour}-{kind}"
            for colour in ("blue", "green")
            for kind in ("target-5xx", "latency-p99", "unhealthy-hosts")
        ]
        + [f"{PREFIX}-replication-to-{peer}" for peer in peers]
    )
    topic = next(t["TopicArn"] for t in stack_emulator.client("sns", region).list_topics()["Topics"])
    assert all(a["AlarmActions"] == [topic] for a in alarms)
    colour_alarms = [a for a in alarms if "-replication-to-" not in a["AlarmName"]]
    assert {d["Name"] for a in colour_alarms for d in a["Dimensions"]} == {"TargetGroup", "LoadBalancer"}
    replication = [a for a in alarms if "-replication-to-" in a["AlarmName"]]
    assert {(a["MetricName"], a["Threshold"]) for a in replication} == {("ReplicationLatency", 3000.0)}
    assert sorted(d["Value"] for a in replication for d in a["Dimensions"] if d["Name"] == "ReceivingRegion") == peers


def test_the_table_is_global_protected_and_replicates_within_3_seconds(stack_emulator, deployed):
    home = stack_emulator.client("dynamodb", REGIONS[0])
    table = home.describe_table(TableName=TABLE)["Table"]
    assert table["GlobalTableVersion"] == "2019.11.21"
    assert sorted(r["RegionName"] for r in table["Replicas"]) == sorted(REGIONS[1:])
    assert {r["ReplicaStatus"] for r in table["Replicas"]} == {"ACTIVE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    for region in REGIONS:
        dynamodb = stack_emulator.client("dynamodb", region)
        replica = dynamodb.describe_table(TableName=TABLE)["Table"]
        assert replica["DeletionProtectionEnabled"] is True, region
        assert replica["SSEDescription"]["SSEType"] == "KMS", region
        backups = dynamodb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", region
    assert home.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["AttributeName"] == "expires_at"

    key = {"id": {"S": f"probe-{time.time_ns()}"}, "version": {"S": "v0"}}
    stack_emulator.client("dynamodb", "eu-west-1").put_item(TableName=TABLE, Item={**key, "body": {"S": "hi"}})
    started = time.monotonic()
    pending = {"us-west-2", "ap-southeast-2"}
    while pending and time.monotonic() - started < 3:
        pending = {
            r for r in pending if "Item" not in stack_emulator.client("dynamodb", r).get_item(TableName=TABLE, Key=key)
        }
        time.sleep(0.05)
    assert pending == set(), f"not replicated within 3 s to {pending}"


def _zone_records(stack_emulator) -> list[dict]:
    route53 = stack_emulator.client("route53", EDGE_REGION)
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == f"{DOMAIN}.")
    return route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]


def _health_checks(stack_emulator) -> dict[str, dict]:
    """The project's health checks by the region of the ALB they check."""
    checks = stack_emulator.client("route53", EDGE_REGION).list_health_checks()["HealthChecks"]
    return {
        h["HealthCheckConfig"]["FullyQualifiedDomainName"].split(".")[1]: h
        for h in checks
        if h["HealthCheckConfig"].get("FullyQualifiedDomainName", "").startswith(f"{PREFIX}-")
    }


def test_route53_routes_by_latency_to_healthy_regions(stack_emulator, deployed):
    checks = _health_checks(stack_emulator)
    assert sorted(checks) == sorted(REGIONS)
    for check in checks.values():
        config = check["HealthCheckConfig"]
        assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTPS", 443, "/readyz")
        assert (config["RequestInterval"], config["FailureThreshold"]) == (10, 3)
    latency = [r for r in _zone_records(stack_emulator) if r["Name"] == f"origin.{DOMAIN}."]
    assert sorted(r["Region"] for r in latency) == sorted(REGIONS)
    for record in latency:
        assert record["HealthCheckId"] == checks[record["Region"]]["Id"]
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        assert f".{record['Region']}.elb.amazonaws.com" in record["AliasTarget"]["DNSName"]


def test_cloudfront_fails_over_between_two_regions_behind_a_web_acl(stack_emulator, deployed):
    cloudfront = stack_emulator.client("cloudfront", EDGE_REGION)
    items = cloudfront.list_distributions()["DistributionList"]["Items"]
    (summary,) = [d for d in items if d["Comment"].startswith(PREFIX)]
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    (group,) = config["OriginGroups"]["Items"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == group["Id"]
    members = [m["OriginId"] for m in group["Members"]["Items"]]
    domains = {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}
    assert [domains[m] for m in members] == [f"origin.{DOMAIN}", f"{REGIONS[0]}.origin.{DOMAIN}"]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [500, 502, 503, 504]
    assert config["Aliases"]["Items"] == [DOMAIN]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"].startswith("TLSv1.2")
    assert config["Logging"]["Enabled"] is True
    logs_bucket = config["Logging"]["Bucket"].removesuffix(".s3.amazonaws.com")
    assert logs_bucket.startswith(f"{PREFIX}-") and logs_bucket.endswith("-cdn-logs")
    s3 = stack_emulator.client("s3", EDGE_REGION)
    assert s3.get_bucket_ownership_controls(Bucket=logs_bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}
    ]
    acls = stack_emulator.client("wafv2", EDGE_REGION).list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert config["WebACLId"] == next(a["ARN"] for a in acls if a["Name"] == PREFIX)
    apex = [r for r in _zone_records(stack_emulator) if r["Name"] == f"{DOMAIN}." and r["Type"] in ("A", "AAAA")]
    assert {r["AliasTarget"]["DNSName"].rstrip(".") for r in apex} == {summary["DomainName"]}


def test_certificates_are_issued_for_cloudfront_and_every_alb(stack_emulator, deployed):
    cloudfront_certs = stack_emulator.client("acm", EDGE_REGION).list_certificates(CertificateStatuses=["ISSUED"])
    assert DOMAIN in [c["DomainName"] for c in cloudfront_certs["CertificateSummaryList"]]
    for region in REGIONS:
        acm = stack_emulator.client("acm", region)
        issued = {
            c["CertificateArn"]
            for c in acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
            if c["DomainName"] == f"origin.{DOMAIN}"
        }
        elb = stack_emulator.client("elbv2", region)
        alb = elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"][0]
        https = [
            x for x in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"] if x["Port"] == 443
        ]
        listener_cert = https[0]["Certificates"][0]["CertificateArn"]
        assert listener_cert in issued, region
        names = acm.describe_certificate(CertificateArn=listener_cert)["Certificate"]["SubjectAlternativeNames"]
        # The viewer's Host header reaches the origin, so its certificate must also cover the domain.
        assert sorted(names) == sorted([f"origin.{DOMAIN}", f"{region}.origin.{DOMAIN}", DOMAIN]), region


# Least privilege (issue 9): what the roles made, read back through the API; each check names what is wrong.
def test_the_instance_roles_grant_only_the_projects_resources(stack_emulator, deployed):
    assert least_privilege.iam_findings(stack_emulator) == []


@pytest.mark.parametrize("region", REGIONS)
def test_instances_admit_only_the_alb_and_the_alb_only_cloudfront(stack_emulator, deployed, region):
    assert least_privilege.security_group_findings(stack_emulator, region) == []


@pytest.mark.parametrize("region", REGIONS)
def test_templates_and_instances_require_imdsv2_within_one_hop(stack_emulator, deployed, region):
    assert least_privilege.imds_findings(stack_emulator, region) == []


@pytest.mark.parametrize("region", REGIONS)
def test_volumes_and_the_table_replica_are_encrypted_at_rest(stack_emulator, deployed, region):
    assert least_privilege.regional_encryption_findings(stack_emulator, region) == []


def test_every_bucket_is_encrypted_and_blocks_public_access(stack_emulator, deployed):
    assert least_privilege.bucket_findings(stack_emulator) == []


@pytest.mark.parametrize("region", REGIONS)
def test_the_alb_serves_tls_1_2_or_later_and_http_only_redirects(stack_emulator, deployed, region):
    assert least_privilege.listener_findings(stack_emulator, region) == []


def test_cloudfront_speaks_tls_1_2_or_later_to_viewers_and_origins(stack_emulator, deployed):
    assert least_privilege.cloudfront_tls_findings(stack_emulator) == []


def test_a_region_left_out_of_the_inventory_loses_its_replica_records_and_health_check(
    stack_emulator, deployed, tmp_path
):
    hosts = yaml.safe_load((REPO / "inventories/local/hosts.yml").read_text())
    del hosts["all"]["children"]["regions"]["hosts"]["au"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(hosts))
    (tmp_path / "group_vars").symlink_to(REPO / "inventories/local/group_vars")
    before = leftovers(stack_emulator)

    run = run_playbook(stack_emulator.url, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-5000:]

    table = stack_emulator.client("dynamodb", REGIONS[0]).describe_table(TableName=TABLE)["Table"]
    assert sorted(r["RegionName"] for r in table["Replicas"]) == ["eu-west-1"]
    assert sorted(_health_checks(stack_emulator)) == ["eu-west-1", "us-west-2"]
    names = {(r["Name"], r.get("Region", "")) for r in _zone_records(stack_emulator)}
    assert (f"origin.{DOMAIN}.", "ap-southeast-2") not in names
    assert f"ap-southeast-2.origin.{DOMAIN}." not in {name for name, _ in names}
    assert (f"origin.{DOMAIN}.", "eu-west-1") in names
    # Nothing else went: the Sydney stack itself is left alone (destroy.yml removes it below), and the
    # other regions' instances are replaced one for one (their user data names the peer regions).
    after = leftovers(stack_emulator)
    removed = set(before) - set(after)
    assert sorted(item for item in removed if item.startswith("alarm")) == [
        f"alarm {region} {PREFIX}-replication-to-ap-southeast-2" for region in sorted(REGIONS[:2])
    ]
    replaced = {item for item in removed if item.startswith("instance ")}
    assert {item.split(" ")[1] for item in replaced} <= set(REGIONS[:2]), replaced
    for region in REGIONS:
        count = f"instance {region} "
        assert sum(i.startswith(count) for i in after) == sum(i.startswith(count) for i in before), region
    assert {item.split(" ")[0] for item in removed - replaced} == {"table", "health", "alarm"}, removed
    assert [item for item in removed if item.startswith("table")] == [f"table ap-southeast-2 {TABLE}"]


def test_destroy_leaves_nothing_and_a_second_destroy_changes_nothing(stack_emulator, deployed):
    run = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert run.returncode == 0, run.output[-5000:]
    assert leftovers(stack_emulator) == []
    # The data outlives the stack: a final on-demand backup, its ARN printed.
    backups = stack_emulator.client("dynamodb", REGIONS[0]).list_backups(TableName=TABLE)["BackupSummaries"]
    assert len(backups) == 1 and backups[0]["BackupStatus"] == "AVAILABLE"
    assert backups[0]["BackupArn"] in run.output
    again = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert again.returncode == 0, again.output[-5000:]
    assert set(again.changed.values()) == {0}, again.changed


def test_destroy_of_a_half_built_stack_leaves_nothing(stack_emulator, deployed, tmp_path):
    # A deploy stopped after the network and artifact roles of one region, as an interrupted run leaves it.
    partial = run_playbook(stack_emulator.url, "tests/playbooks/fixtures/half_built.yml", "--limit", "eu")
    assert partial.returncode == 0, partial.output[-5000:]
    assert leftovers(stack_emulator), "the half-built stack should exist before the destroy"
    run = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert run.returncode == 0, run.output[-5000:]
    assert leftovers(stack_emulator) == []

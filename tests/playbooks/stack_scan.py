"""Read a deployed stack back through the AWS API of an emulator: what exists, and what is left over."""

from __future__ import annotations

from typing import Any

REGIONS = ("us-west-2", "eu-west-1", "ap-southeast-2")
EDGE_REGION = "us-east-1"
PREFIX = "tricontinent-local"
PROJECT = "tricontinent"
DOMAIN = "tricontinent.test"
TABLE = f"{PREFIX}-records"


def alb_tags(emulator: Any, region: str) -> dict[str, str]:
    """The tags of the region's load balancer (LiveColour, AppVersion, ...), by key."""
    elb = emulator.client("elbv2", region)
    [alb] = elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"]
    tags = elb.describe_tags(ResourceArns=[alb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


def leftovers(emulator: Any) -> list[str]:
    """Every resource of the project still there, named by kind, region and id (empty after a destroy)."""
    found: list[str] = []
    tag_filter = [{"Name": "tag:Project", "Values": [PROJECT]}]
    for region in REGIONS:
        ec2 = emulator.client("ec2", region)
        for kind, items, key in (
            ("vpc", ec2.describe_vpcs(Filters=tag_filter)["Vpcs"], "VpcId"),
            ("subnet", ec2.describe_subnets(Filters=tag_filter)["Subnets"], "SubnetId"),
            ("security group", ec2.describe_security_groups(Filters=tag_filter)["SecurityGroups"], "GroupId"),
            ("route table", ec2.describe_route_tables(Filters=tag_filter)["RouteTables"], "RouteTableId"),
            (
                "internet gateway",
                ec2.describe_internet_gateways(Filters=tag_filter)["InternetGateways"],
                "InternetGatewayId",
            ),
            (
                "launch template",
                ec2.describe_launch_templates(Filters=tag_filter)["LaunchTemplates"],
                "LaunchTemplateName",
            ),
        ):
            found += [f"{kind} {region} {item[key]}" for item in items]
        reservations = ec2.describe_instances(Filters=tag_filter)["Reservations"]
        found += [
            f"instance {region} {i['InstanceId']}"
            for r in reservations
            for i in r["Instances"]
            if i["State"]["Name"] not in ("terminated", "shutting-down")
        ]
        # Deleted endpoints and NAT gateways stay visible for a while with that state, on AWS too.
        endpoints = ec2.describe_vpc_endpoints(Filters=tag_filter)["VpcEndpoints"]
        found += [
            f"vpc endpoint {region} {e['VpcEndpointId']}"
            for e in endpoints
            if e["State"].lower() not in ("deleted", "deleting")
        ]
        nats = ec2.describe_nat_gateways(Filter=tag_filter)["NatGateways"]
        found += [
            f"nat gateway {region} {n['NatGatewayId']}" for n in nats if n["State"] not in ("deleted", "deleting")
        ]
        found += [f"elastic ip {region} {a['PublicIp']}" for a in ec2.describe_addresses()["Addresses"]]
        elb = emulator.client("elbv2", region)
        found += [
            f"load balancer {region} {lb['LoadBalancerName']}"
            for lb in elb.describe_load_balancers()["LoadBalancers"]
            if lb["LoadBalancerName"].startswith(PREFIX)
        ]
        found += [
            f"target group {region} {tg['TargetGroupName']}"
            for tg in elb.describe_target_groups()["TargetGroups"]
            if tg["TargetGroupName"].startswith(PREFIX)
        ]
        asg = emulator.client("autoscaling", region)
        found += [
            f"auto scaling group {region} {g['AutoScalingGroupName']}"
            for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]
            if g["AutoScalingGroupName"].startswith(PREFIX)
        ]
        cw = emulator.client("cloudwatch", region)
        found += [
            f"alarm {region} {a['AlarmName']}" for a in cw.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
        ]
        sns = emulator.client("sns", region)
        found += [
            f"topic {region} {t['TopicArn']}" for t in sns.list_topics()["Topics"] if f":{PREFIX}" in t["TopicArn"]
        ]
        logs = emulator.client("logs", region)
        found += [
            f"log group {region} {g['logGroupName']}"
            for g in logs.describe_log_groups(logGroupNamePrefix=f"/{PREFIX}/")["logGroups"]
        ]
        found += _certificates(emulator, region)
        tables = emulator.client("dynamodb", region).list_tables()["TableNames"]
        found += [f"table {region} {name}" for name in tables if name.startswith(PREFIX)]
    found += _certificates(emulator, EDGE_REGION)
    found += _global_leftovers(emulator)
    s3 = emulator.client("s3", REGIONS[0])
    found += [f"bucket {b['Name']}" for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(PREFIX)]
    iam = emulator.client("iam", REGIONS[0])
    found += [f"iam role {r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)]
    found += [
        f"instance profile {p['InstanceProfileName']}"
        for p in iam.list_instance_profiles()["InstanceProfiles"]
        if p["InstanceProfileName"].startswith(PREFIX)
    ]
    return found


def _certificates(emulator: Any, region: str) -> list[str]:
    acm = emulator.client("acm", region)
    found = []
    for cert in acm.list_certificates()["CertificateSummaryList"]:
        tags = acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags", [])
        if {"Key": "Project", "Value": PROJECT} in tags:
            found.append(f"certificate {region} {cert['CertificateArn']}")
    return found


def _global_leftovers(emulator: Any) -> list[str]:
    """Route 53, CloudFront and WAF: the global services the edge layer uses."""
    route53 = emulator.client("route53", EDGE_REGION)
    found = [
        f"hosted zone {z['Name']}" for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == f"{DOMAIN}."
    ]
    found += [
        f"health check {h['Id']}"
        for h in route53.list_health_checks()["HealthChecks"]
        if h["HealthCheckConfig"].get("FullyQualifiedDomainName", "").startswith(f"{PREFIX}-")
    ]
    cloudfront = emulator.client("cloudfront", EDGE_REGION)
    items = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    found += [f"distribution {d['Id']}" for d in items if d.get("Comment", "").startswith(PREFIX)]
    wafv2 = emulator.client("wafv2", EDGE_REGION)
    found += [f"web acl {a['Name']}" for a in wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] if a["Name"] == PREFIX]
    return found

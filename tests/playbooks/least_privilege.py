"""Least privilege, read back through the AWS API of an emulator: what the roles made may do no more than the
app needs. Each function returns the findings (empty when the stack is as tight as it should be), so a test
failure names the resource and what is wrong with it."""

from __future__ import annotations

from typing import Any

from stack_scan import EDGE_REGION, PREFIX, REGIONS

# Actions that accept no resource but "*": the Service Authorization Reference lists no resource type for
# them ("Actions defined by <service>" tables). Any other action on "*" is a finding.
WILDCARD_ONLY_ACTIONS = {
    # Amazon EC2 Auto Scaling: the Describe* actions have no resource-level permissions.
    "autoscaling:DescribeAutoScalingInstances": "EC2 Auto Scaling defines no resource type for Describe* actions",
    # Amazon CloudWatch: PutMetricData has no resource type; the cloudwatch:namespace condition key scopes it.
    "cloudwatch:PutMetricData": "CloudWatch defines no resource type for PutMetricData",
}
# An allowed "*" that a condition key must still narrow.
REQUIRED_CONDITION_KEYS = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}

CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
APP_PORT = 8000
# Elastic Load Balancing's predefined policies that offer TLS 1.2 and 1.3 only ("Security policies for your
# Application Load Balancer", ELB User Guide): the TLS13-1-2/1-3 and FS-1-2/TLS-1-2 families.
TLS12_ALB_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)
# CloudFront's viewer security policies with TLS 1.2 as the floor ("Supported protocols and ciphers between
# viewers and CloudFront", CloudFront Developer Guide).
TLS12_CLOUDFRONT_POLICIES = frozenset({"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021"})
# No containers run on the instances, so one hop is all IMDS needs; the token's reply then carries IP TTL 1 and
# never crosses an extra hop (a container bridge, a forwarding proxy) to something that should not have it.
IMDS_HOP_LIMIT = 1


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_findings(document: dict[str, Any], where: str, name_prefix: str = PREFIX) -> list[str]:
    """What an IAM policy grants beyond the project's own resources, one line per statement at fault."""
    found: list[str] = []
    for index, statement in enumerate(_as_list(document.get("Statement", []))):
        label = f"{where} statement {statement.get('Sid', index)}"
        if statement.get("Effect") != "Allow":
            continue
        for inverted in ("NotAction", "NotResource", "NotPrincipal"):
            if inverted in statement:
                found.append(f"{label}: {inverted} allows everything but a list")
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        found += [f"{label}: action {a!r} is a wildcard; name each action" for a in actions if "*" in a]
        resources = [str(r) for r in _as_list(statement.get("Resource", []))]
        if "*" in resources:
            unscopable = [a for a in actions if a in WILDCARD_ONLY_ACTIONS]
            scopable = sorted(set(actions) - set(unscopable))
            if scopable:
                found.append(f"{label}: Resource '*' for {', '.join(scopable)}, which AWS lets you scope")
            conditions = {key for op in statement.get("Condition", {}).values() for key in op}
            found += [
                f"{label}: {a} on '*' without the {REQUIRED_CONDITION_KEYS[a]} condition"
                for a in unscopable
                if a in REQUIRED_CONDITION_KEYS and REQUIRED_CONDITION_KEYS[a] not in conditions
            ]
        found += [
            f"{label}: resource {r} names no resource of the project ({name_prefix}*)"
            for r in resources
            if r != "*" and name_prefix not in r
        ]
    return found


def iam_findings(emulator: Any) -> list[str]:
    """The project's IAM roles: trusted by EC2 only, their policies scoped to the project's resources."""
    iam = emulator.client("iam", REGIONS[0])
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)]
    found = [] if roles else [f"no IAM role named {PREFIX}*"]
    for role in roles:
        name = role["RoleName"]
        trust = role["AssumeRolePolicyDocument"]
        principals = [s.get("Principal") for s in _as_list(trust["Statement"])]
        if principals != [{"Service": "ec2.amazonaws.com"}]:
            found.append(f"role {name}: trusted by {principals}, not EC2 alone")
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            found += policy_findings(document, f"role {name} policy {policy_name}")
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            found += policy_findings(version["PolicyVersion"]["Document"], f"role {name} managed {policy['Arn']}")
    return found


def _groups(ec2: Any) -> dict[str, dict[str, Any]]:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX]}])["Vpcs"][0]["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in groups}


def _prefix_list_id(ec2: Any, name: str) -> str:
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    return str(lists["PrefixLists"][0]["PrefixListId"])


def _sources(permission: dict[str, Any]) -> set[str]:
    return (
        {r["CidrIp"] for r in permission.get("IpRanges", [])}
        | {r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])}
        | {p["PrefixListId"] for p in permission.get("PrefixListIds", [])}
        | {p["GroupId"] for p in permission.get("UserIdGroupPairs", [])}
    )


def _ingress_findings(group: dict[str, Any], sources: set[str], ports: set[int]) -> list[str]:
    """Every ingress rule of `group` is TCP on one of `ports` from `sources` only."""
    found = []
    for permission in group["IpPermissions"]:
        rule = f"{group['GroupName']} ingress {permission.get('IpProtocol')} {permission.get('FromPort')}-"
        rule += f"{permission.get('ToPort')}"
        if permission.get("IpProtocol") != "tcp" or {permission.get("FromPort"), permission.get("ToPort")} - ports:
            found.append(f"{rule}: only tcp {sorted(ports)} expected")
        if _sources(permission) - sources:
            found.append(f"{rule}: open to {sorted(_sources(permission) - sources)}")
    return found


def security_group_findings(emulator: Any, region: str, *, alb_open_to_world: bool = False) -> list[str]:
    """The instances admit the ALB's group alone on the app port; the ALB admits CloudFront's origin-facing
    servers (and Route 53's health checkers) on 443 only, unless security_alb_open_to_world opens 80/443."""
    ec2 = emulator.client("ec2", region)
    groups = _groups(ec2)
    alb, health, instance = (groups.get(f"{PREFIX}{suffix}") for suffix in ("-alb", "-alb-health", "-instance"))
    if alb is None or instance is None:
        return [f"{region}: the ALB's or the instances' security group is missing: {sorted(groups)}"]
    elb = emulator.client("elbv2", region)
    attached = set(elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"][0]["SecurityGroups"])
    found = [] if alb["GroupId"] in attached else [f"{region}: the ALB does not use {alb['GroupName']}"]
    found += [f"{region}: {instance['GroupName']} is on the ALB"] if instance["GroupId"] in attached else []
    found += _ingress_findings(instance, {alb["GroupId"]}, {APP_PORT})
    if not instance["IpPermissions"]:
        found.append(f"{region}: {instance['GroupName']} admits nothing, not even the ALB")
    if alb_open_to_world:
        return found + _ingress_findings(alb, {"0.0.0.0/0"}, {80, 443})
    found += _ingress_findings(alb, {_prefix_list_id(ec2, CLOUDFRONT_PREFIX_LIST)}, {443})
    if health is None:
        return [*found, f"{region}: the Route 53 health checkers' group is missing"]
    found += _ingress_findings(health, {_prefix_list_id(ec2, f"com.amazonaws.{region}.route53-healthchecks")}, {443})
    return found


def _launch_template_data(ec2: Any) -> dict[str, dict[str, Any]]:
    """The latest version of each of the project's launch templates, by template name."""
    templates = ec2.describe_launch_templates(Filters=[{"Name": "tag:Project", "Values": ["tricontinent"]}])
    found = {}
    for template in templates["LaunchTemplates"]:
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
        )["LaunchTemplateVersions"]
        found[template["LaunchTemplateName"]] = versions[0]["LaunchTemplateData"]
    return found


def _instances(ec2: Any) -> list[dict[str, Any]]:
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Project", "Values": ["tricontinent"]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def imds_findings(emulator: Any, region: str) -> list[str]:
    """Every launch template, and every instance running, requires IMDSv2 tokens within one hop."""
    ec2 = emulator.client("ec2", region)
    templates = _launch_template_data(ec2)
    found = [] if templates else [f"{region}: no launch template"]
    for name, data in templates.items():
        options = data.get("MetadataOptions", {})
        if options.get("HttpTokens") != "required":
            found.append(f"{region} launch template {name}: HttpTokens {options.get('HttpTokens')!r}")
        if options.get("HttpPutResponseHopLimit") != IMDS_HOP_LIMIT:
            found.append(f"{region} launch template {name}: hop limit {options.get('HttpPutResponseHopLimit')!r}")
        if options.get("HttpEndpoint", "enabled") != "enabled":
            found.append(f"{region} launch template {name}: IMDS off, so bootstrap cannot read its identity")
    instances = _instances(ec2)
    found += [] if instances else [f"{region}: no instance running"]
    for instance in instances:
        options = instance.get("MetadataOptions", {})
        if (options.get("HttpTokens"), options.get("HttpPutResponseHopLimit")) != ("required", IMDS_HOP_LIMIT):
            found.append(f"{region} instance {instance['InstanceId']}: metadata options {options}")
    return found


def regional_encryption_findings(emulator: Any, region: str) -> list[str]:
    """At rest in a region: the launch templates' EBS volumes and the volumes of the instances running, the
    table replica (the buckets are bucket_findings')."""
    ec2 = emulator.client("ec2", region)
    found = []
    instances = [i["InstanceId"] for i in _instances(ec2)]
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": instances}])["Volumes"]
    found += [
        f"{region} volume {v['VolumeId']} of {v['Attachments'][0]['InstanceId']} not encrypted"
        for v in volumes
        if not v["Encrypted"]
    ]
    for name, data in _launch_template_data(ec2).items():
        volumes = [m for m in data.get("BlockDeviceMappings", []) if "Ebs" in m]
        if not volumes:
            found.append(f"{region} launch template {name}: no EBS mapping, so the AMI's default applies")
        found += [
            f"{region} launch template {name}: {m['DeviceName']} not encrypted"
            for m in volumes
            if m["Ebs"].get("Encrypted") is not True
        ]
    tables = emulator.client("dynamodb", region)
    for table_name in (t for t in tables.list_tables()["TableNames"] if t.startswith(PREFIX)):
        sse = tables.describe_table(TableName=table_name)["Table"].get("SSEDescription", {})
        if sse.get("Status") != "ENABLED":
            found.append(f"{region} table {table_name}: SSE {sse or 'absent'}")
    return found


def bucket_findings(emulator: Any) -> list[str]:
    """Every bucket of the project: default encryption and all four public access blocks."""
    s3 = emulator.client("s3", EDGE_REGION)
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(PREFIX)]
    found = [] if buckets else [f"no bucket named {PREFIX}*"]
    for bucket in buckets:
        try:
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except s3.exceptions.ClientError as exc:
            rules, error = [], exc.response["Error"]["Code"]
            found.append(f"bucket {bucket}: no default encryption ({error})")
        algorithms = {r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules}
        if rules and not algorithms <= {"AES256", "aws:kms", "aws:kms:dsse"}:
            found.append(f"bucket {bucket}: default encryption {sorted(algorithms)}")
        try:
            block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except s3.exceptions.ClientError as exc:
            block = {"error": exc.response["Error"]["Code"]}
        if sorted(k for k, v in block.items() if v is True) != [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ]:
            found.append(f"bucket {bucket}: public access block {block}")
    return found


def listener_findings(emulator: Any, region: str) -> list[str]:
    """The ALB's HTTPS listeners use a TLS 1.2+ policy; any HTTP listener only redirects to HTTPS."""
    elb = emulator.client("elbv2", region)
    alb = elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    found = [] if any(x["Protocol"] == "HTTPS" for x in listeners) else [f"{region}: no HTTPS listener"]
    for listener in listeners:
        where = f"{region} listener {listener['Protocol']}:{listener['Port']}"
        if listener["Protocol"] == "HTTPS":
            if listener.get("SslPolicy") not in TLS12_ALB_POLICIES:
                found.append(f"{where}: SslPolicy {listener.get('SslPolicy')!r} allows TLS below 1.2")
            continue
        if listener["Protocol"] != "HTTP":
            found.append(f"{where}: unexpected protocol")
            continue
        rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        actions = [a for rule in rules for a in rule["Actions"]] or listener["DefaultActions"]
        for action in actions:
            redirect = action.get("RedirectConfig", {})
            if action["Type"] != "redirect" or (redirect.get("Protocol"), redirect.get("Port")) != ("HTTPS", "443"):
                found.append(f"{where}: serves {action['Type']} {redirect}, not a redirect to HTTPS:443")
    return found


def cloudfront_tls_findings(emulator: Any) -> list[str]:
    """Viewers need TLS 1.2+ (SNI) and are redirected off HTTP; CloudFront reaches origins over TLS 1.2 only."""
    cloudfront = emulator.client("cloudfront", EDGE_REGION)
    items = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    ours = [d["Id"] for d in items if d.get("Comment", "").startswith(PREFIX)]
    found = [] if ours else [f"no distribution for {PREFIX}"]
    for distribution in ours:
        config = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]
        viewer = config["ViewerCertificate"]
        # The default *.cloudfront.net certificate pins TLSv1: the distribution must carry its own.
        if (
            viewer.get("CloudFrontDefaultCertificate")
            or viewer.get("MinimumProtocolVersion") not in TLS12_CLOUDFRONT_POLICIES
        ):
            found.append(f"distribution {distribution}: viewer certificate {viewer}")
        if viewer.get("SSLSupportMethod") != "sni-only":
            found.append(f"distribution {distribution}: SSLSupportMethod {viewer.get('SSLSupportMethod')!r}")
        behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", {}).get("Items", [])]
        found += [
            f"distribution {distribution}: behaviour {b['TargetOriginId']} lets viewers use HTTP"
            for b in behaviours
            if b["ViewerProtocolPolicy"] not in ("redirect-to-https", "https-only")
        ]
        for origin in config["Origins"]["Items"]:
            custom = origin.get("CustomOriginConfig", {})
            protocols = set(custom.get("OriginSslProtocols", {}).get("Items", []))
            if custom.get("OriginProtocolPolicy") != "https-only" or protocols - {"TLSv1.2"}:
                found.append(f"distribution {distribution}: origin {origin['Id']} {custom}")
    return found

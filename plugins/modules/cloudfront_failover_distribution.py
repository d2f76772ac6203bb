#!/usr/bin/python
"""One CloudFront web distribution whose default cache behaviour targets a primary + failover origin group."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_failover_distribution
short_description: A CloudFront distribution in front of an origin group (primary origin + failover origin)
description:
  - Creates, updates or deletes one CloudFront web distribution, found by O(name) (kept in its C(Comment) and in
    a C(Name) tag). Its default cache behaviour targets an origin group of two custom origins, O(primary_origin)
    then O(failover_origin), so a request that fails on the primary with one of O(failover_status_codes), or
    cannot reach it, is retried on the second origin.
  - The module builds the whole distribution config from its options and compares it with the current one
    after normalising both (list order where AWS does not care, the defaults AWS fills in), so a re-run with an
    unchanged config makes no change and reports C(changed=false). M(community.aws.cloudfront_distribution) has
    no origin groups and reported a change on every run.
  - Fields the module does not set (for example a response headers policy added by hand to a behaviour, or a
    continuous deployment policy) are not compared, so they alone never cause an update. Top-level ones keep
    their value when the module updates for another reason; one inside an origin or a behaviour is then reset
    to what the module builds. Origins, the origin group,
    the cache behaviours, aliases, custom error responses and geo restrictions are owned by the module, so an
    extra one added by hand is removed on the next run.
  - "Why O(api_path_pattern) does not use the origin group: CloudFront fails over only for GET, HEAD and OPTIONS
    requests, and refuses (C(InvalidArgument)) a cache behaviour that targets an origin group while allowing
    POST, PUT, PATCH or DELETE. The API behaviour allows every method, so it targets the primary origin (the
    Route 53 latency name, which itself drops an unhealthy region) with caching disabled. See the CloudFront
    Developer Guide, I(Request and response behavior for origin groups)."
version_added: 0.1.0
author: Tricontinent team
options:
  name:
    description:
      - Identity of the distribution, stored as its C(Comment) and its C(Name) tag. At most 128 characters.
      - Exactly one distribution may carry this comment; the module fails if it finds more than one.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the distribution.
      - V(absent) disables it if it is enabled, waits until it is C(Deployed) (up to O(wait_timeout)), then
        deletes it. Nothing to delete is not an error.
    type: str
    choices: [present, absent]
    default: present
  aliases:
    description: Alternate domain names (CNAMEs) the distribution answers for. Needs O(certificate_arn).
    type: list
    elements: str
    default: []
  certificate_arn:
    description:
      - ARN of an ACM certificate in us-east-1 that covers every alias. Required when O(aliases) is not empty.
      - Without it the distribution uses the default C(*.cloudfront.net) certificate.
    type: str
  minimum_protocol_version:
    description:
      - Security policy for viewer HTTPS connections when O(certificate_arn) is set (served with SNI).
      - With the default CloudFront certificate AWS always uses C(TLSv1), whatever is asked, so the module asks
        for exactly that and this option does not apply.
    type: str
    default: TLSv1.2_2021
  primary_origin:
    description:
      - Domain name of the primary origin, for example the Route 53 latency name C(origin.example.com).
      - Required when O(state=present).
    type: str
  failover_origin:
    description:
      - Domain name of the origin CloudFront retries on, for example one region's own name.
      - Required when O(state=present). Must differ from O(primary_origin).
    type: str
  origin_read_timeout:
    description: Seconds CloudFront waits for a response from an origin (1..60 without a quota increase).
    type: int
    default: 30
  failover_status_codes:
    description:
      - Status codes from the primary origin that make CloudFront retry on the failover origin.
      - Each must be one CloudFront allows, that is 400, 403, 404, 416, 500, 502, 503 or 504.
    type: list
    elements: int
    default: [500, 502, 503, 504]
  api_path_pattern:
    description:
      - Path pattern of the API cache behaviour. It allows every HTTP method, has caching disabled (managed cache
        policy C(CachingDisabled)), forwards everything from the viewer (managed origin request policy
        C(AllViewer)) and targets the primary origin, not the origin group (see the description).
    type: str
    default: /api/*
  cache_policy_id:
    description:
      - Cache policy of the default behaviour. The default is the managed C(UseOriginCacheControlHeaders) policy,
        so the app's C(Cache-Control) headers decide what is cached.
    type: str
    default: 83da9c7e-98b4-4e11-a168-04f0df8e2c65
  price_class:
    description: Edge locations the distribution uses.
    type: str
    choices: [PriceClass_All, PriceClass_200, PriceClass_100]
    default: PriceClass_All
  http_version:
    description: Highest HTTP version viewers may use.
    type: str
    choices: [http1.1, http2, http3, http2and3]
    default: http2and3
  ipv6:
    description: Whether the distribution answers over IPv6.
    type: bool
    default: true
  web_acl_id:
    description: ARN of a WAFv2 web ACL (scope CLOUDFRONT) to associate; empty for none.
    type: str
    default: ''
  logging_bucket:
    description:
      - Name of an S3 bucket for standard access logs (written to C(<bucket>.s3.amazonaws.com)); empty turns
        logging off.
    type: str
    default: ''
  logging_prefix:
    description: Prefix of the log objects when O(logging_bucket) is set.
    type: str
    default: cloudfront/
  enabled:
    description: Whether the distribution serves requests.
    type: bool
    default: true
  tags:
    description: Tags of the distribution. C(Name) is always set to O(name).
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that are neither in O(tags) nor C(Name).
    type: bool
    default: true
  wait:
    description: After a create or update, wait until the distribution's status is C(Deployed).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(Deployed) (with O(wait), and always before a delete).
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (no mutating call) and diff mode (the distribution config before and after).
  - CloudFront is global, so the module always calls it in us-east-1, whatever region is configured.
  - Origin IDs are C(primary) and C(failover), the origin group is C(failover-group); changing an origin's domain
    updates the distribution in place.
  - "IAM: cloudfront:ListDistributions, GetDistribution, GetDistributionConfig, CreateDistribution,
    CreateDistributionWithTags, UpdateDistribution, DeleteDistribution, ListTagsForResource, TagResource,
    UntagResource; with O(web_acl_id) also wafv2:GetWebACL; with O(certificate_arn) also
    acm:DescribeCertificate and acm:ListCertificates (checked by CloudFront on the caller's behalf)."
seealso:
  - module: community.aws.cloudfront_distribution
"""

EXAMPLES = r"""
- name: CloudFront in front of the latency name, failing over to Oregon
  tricontinent.activeactive.cloudfront_failover_distribution:
    name: tricontinent-production
    aliases: [www.example.com]
    certificate_arn: "{{ edge_certificate_arn }}"
    primary_origin: origin.example.com
    failover_origin: us-west-2.origin.example.com
    web_acl_id: "{{ edge_web_acl_arn | default('') }}"
    logging_bucket: tricontinent-production-logs
    tags:
      Project: tricontinent
  register: edge_distribution

- name: Alias record for the distribution
  amazon.aws.route53:
    zone: example.com
    record: www.example.com
    type: A
    alias: true
    value: "{{ edge_distribution.domain_name }}"
    alias_hosted_zone_id: "{{ edge_distribution.hosted_zone_id }}"

- name: Remove the distribution (disables it, waits, deletes it)
  tricontinent.activeactive.cloudfront_failover_distribution:
    name: tricontinent-production
    state: absent
"""

RETURN = r"""
distribution_id:
  description: ID of the distribution (empty when absent, or not created yet in check mode).
  type: str
  returned: always
  sample: E2QWRUHAPOMQZL
arn:
  description: ARN of the distribution (empty when there is none).
  type: str
  returned: always
domain_name:
  description: The distribution's C(*.cloudfront.net) name, the target of alias records (empty when there is none).
  type: str
  returned: always
  sample: d111111abcdef8.cloudfront.net
status:
  description: C(Deployed) or C(InProgress) (empty when there is none).
  type: str
  returned: always
etag:
  description: Current ETag of the distribution config (empty when there is none).
  type: str
  returned: always
hosted_zone_id:
  description: Route 53 hosted zone ID of every CloudFront distribution, for alias records.
  type: str
  returned: always
  sample: Z2FDTNDATAQYW2
origin_group_id:
  description: ID of the origin group the default cache behaviour targets.
  type: str
  returned: always
  sample: failover-group
"""

import re
import time
import uuid
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Route 53 alias records point at this zone for every CloudFront distribution (Route 53 API, AliasTarget).
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
# The only status codes CloudFront fails over on (Developer Guide, "Create an origin group").
FAILOVER_STATUS_CODES = (400, 403, 404, 416, 500, 502, 503, 504)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # managed cache policy CachingDisabled
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # managed origin request policy AllViewer
PRIMARY_ID = "primary"
FAILOVER_ID = "failover"
ORIGIN_GROUP_ID = "failover-group"
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
CACHED_METHODS = ["GET", "HEAD"]
MAX_COMMENT = 128  # DistributionConfig.Comment limit
POLL_SECONDS = 15
# CloudFront takes viewer certificates from ACM in us-east-1 only.
ACM_US_EAST_1 = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[\w-]+$")

# Lists whose order AWS does not keep or care about, by the name of the structure holding their Items.
# Everything else (CacheBehaviors: precedence; Members: primary first) keeps its order.
UNORDERED_SCALARS = {"Aliases", "AllowedMethods", "CachedMethods", "StatusCodes", "OriginSslProtocols"}
UNORDERED_BY_KEY = {"Origins": "Id", "OriginGroups": "Id", "CustomHeaders": "HeaderName"}


def items(values: list[Any]) -> dict[str, Any]:
    """CloudFront's list shape: Quantity plus Items."""
    return {"Quantity": len(values), "Items": list(values)}


def custom_origin(origin_id: str, domain: str, read_timeout: int) -> dict[str, Any]:
    return {
        "Id": origin_id,
        "DomainName": domain,
        "OriginPath": "",
        "CustomHeaders": items([]),
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            # The ALBs listen on HTTPS; CloudFront must never speak plain HTTP to them.
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": items(["TLSv1.2"]),
            "OriginReadTimeout": read_timeout,
            "OriginKeepaliveTimeout": 5,
        },
        "ConnectionAttempts": 3,
        "ConnectionTimeout": 10,
        "OriginShield": {"Enabled": False},
    }


def behaviour(target: str, methods: list[str], cache_policy_id: str) -> dict[str, Any]:
    allowed = items(methods)
    allowed["CachedMethods"] = items(CACHED_METHODS)
    return {
        "TargetOriginId": target,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "TrustedKeyGroups": {"Enabled": False, "Quantity": 0},
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": allowed,
        "SmoothStreaming": False,
        "Compress": True,
        "LambdaFunctionAssociations": items([]),
        "FunctionAssociations": items([]),
        "FieldLevelEncryptionId": "",
        "CachePolicyId": cache_policy_id,
    }


def viewer_certificate(params: dict[str, Any]) -> dict[str, Any]:
    if not params["certificate_arn"]:
        # AWS pins the default certificate's policy to TLSv1; asking for more would differ on every read.
        return {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"}
    return {
        "CloudFrontDefaultCertificate": False,
        "ACMCertificateArn": params["certificate_arn"],
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": params["minimum_protocol_version"],
    }


def logging_config(params: dict[str, Any]) -> dict[str, Any]:
    bucket = params["logging_bucket"]
    if not bucket:
        return {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""}
    return {
        "Enabled": True,
        "IncludeCookies": False,
        "Bucket": f"{bucket}.s3.amazonaws.com",
        "Prefix": params["logging_prefix"],
    }


def build_config(params: dict[str, Any]) -> dict[str, Any]:
    """The whole DistributionConfig the options describe (CallerReference is added on create/update)."""
    timeout = params["origin_read_timeout"]
    api = behaviour(PRIMARY_ID, ALL_METHODS, CACHING_DISABLED)
    api["PathPattern"] = params["api_path_pattern"]
    api["OriginRequestPolicyId"] = ALL_VIEWER
    group = {
        "Id": ORIGIN_GROUP_ID,
        "FailoverCriteria": {"StatusCodes": items(sorted(set(params["failover_status_codes"])))},
        # Order matters: the first member is the primary.
        "Members": items([{"OriginId": PRIMARY_ID}, {"OriginId": FAILOVER_ID}]),
    }
    return {
        "Aliases": items(sorted(set(params["aliases"]))),
        "DefaultRootObject": "",
        "Origins": items(
            [
                custom_origin(PRIMARY_ID, params["primary_origin"], timeout),
                custom_origin(FAILOVER_ID, params["failover_origin"], timeout),
            ]
        ),
        "OriginGroups": items([group]),
        "DefaultCacheBehavior": behaviour(ORIGIN_GROUP_ID, READ_METHODS, params["cache_policy_id"]),
        # Writes cannot target an origin group (CloudFront refuses it and would not fail them over anyway).
        "CacheBehaviors": items([api]),
        "CustomErrorResponses": items([]),
        "Comment": params["name"],
        "Logging": logging_config(params),
        "PriceClass": params["price_class"],
        "Enabled": params["enabled"],
        "ViewerCertificate": viewer_certificate(params),
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": params["web_acl_id"],
        "HttpVersion": params["http_version"],
        "IsIPV6Enabled": params["ipv6"],
    }


def normalise(value: Any, holder: str = "") -> Any:
    """Drop the derived Quantity counts and sort the lists whose order carries no meaning.

    A list sits in ``Items`` of a named structure (``Aliases.Items``, ``Origins.Items``): that name decides.
    """
    if isinstance(value, dict):
        return {k: normalise(v, holder if k == "Items" else k) for k, v in value.items() if k != "Quantity"}
    if isinstance(value, list):
        result = [normalise(v) for v in value]
        if holder in UNORDERED_SCALARS:
            return sorted(result, key=str)
        if holder in UNORDERED_BY_KEY:
            return sorted(result, key=lambda v: str(v.get(UNORDERED_BY_KEY[holder], "")))
        return result
    return value


def is_unset(value: Any) -> bool:
    """AWS leaves out what is off or empty: an absent field equals False, '', 0 items or an all-unset block."""
    if isinstance(value, dict):
        return all(is_unset(v) for v in value.values())
    return value in (None, False, "", [])


def same(want: Any, have: Any) -> bool:
    """Whether `have` already says everything `want` says; fields only `have` carries are not ours to compare."""
    if have is None:
        return is_unset(want)
    if isinstance(want, dict):
        return isinstance(have, dict) and all(same(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(same, want, have))
    return bool(want == have)


def project(have: Any, want: Any) -> Any:
    """`have` cut down to the fields `want` sets, for a diff that shows only what the module manages."""
    if isinstance(want, dict) and isinstance(have, dict):
        return {k: project(have[k], v) for k, v in want.items() if k in have}
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [project(h, w) for h, w in zip(have, want, strict=True)]
    return have


def check_params(module: AnsibleAWSModule) -> None:
    params = module.params
    if len(params["name"]) > MAX_COMMENT or not params["name"].strip():
        module.fail_json(msg=f"name must be 1..{MAX_COMMENT} characters (it is the distribution's Comment)")
    if params["state"] == "absent":
        return
    bad = sorted(set(params["failover_status_codes"]) - set(FAILOVER_STATUS_CODES))
    if bad or not params["failover_status_codes"]:
        module.fail_json(
            msg=f"failover_status_codes: CloudFront fails over only on {list(FAILOVER_STATUS_CODES)};"
            f" got {bad or 'none'}"
        )
    if params["aliases"] and not params["certificate_arn"]:
        module.fail_json(msg="aliases need certificate_arn: an ACM certificate in us-east-1 covering every alias")
    if params["certificate_arn"] and not ACM_US_EAST_1.match(params["certificate_arn"]):
        module.fail_json(msg="certificate_arn must be an ACM certificate ARN in us-east-1 (CloudFront uses only those)")
    if params["primary_origin"] == params["failover_origin"]:
        module.fail_json(msg="failover_origin must differ from primary_origin, or there is nothing to fail over to")


def find_distribution(client: Any, name: str) -> dict[str, Any] | None:
    """The one distribution summary whose Comment is `name`; None when there is none."""
    matches = []
    for page in client.get_paginator("list_distributions").paginate():
        matches += [d for d in page["DistributionList"].get("Items") or [] if d.get("Comment") == name]
    if len(matches) > 1:
        ids = ", ".join(d["Id"] for d in matches)
        raise LookupError(f"{len(matches)} distributions have the comment {name!r} ({ids}); delete all but one")
    return matches[0] if matches else None


def current_tags(client: Any, arn: str) -> dict[str, str]:
    tags = client.list_tags_for_resource(Resource=arn)["Tags"].get("Items") or []
    return {t["Key"]: t.get("Value", "") for t in tags}


def tag_changes(have: dict[str, str], want: dict[str, str], purge: bool) -> tuple[dict[str, str], list[str]]:
    """Tags to set (new or with another value) and keys to remove, to bring `have` to `want`."""
    to_set = {k: v for k, v in want.items() if have.get(k) != v}
    to_remove = sorted(k for k in have if k not in want) if purge else []
    return to_set, to_remove


def apply_tags(client: Any, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    if to_set:
        client.tag_resource(Resource=arn, Tags={"Items": [{"Key": k, "Value": v} for k, v in to_set.items()]})
    if to_remove:
        client.untag_resource(Resource=arn, TagKeys={"Items": to_remove})


def wait_deployed(module: AnsibleAWSModule, client: Any, dist_id: str, timeout: int) -> dict[str, Any]:
    """Poll GetDistribution until Status is Deployed: deletes need it, and callers want a serving distribution."""
    deadline = time.monotonic() + timeout
    while True:
        got = client.get_distribution(Id=dist_id)
        if got["Distribution"]["Status"] == "Deployed":
            return got
        if time.monotonic() >= deadline:
            module.fail_json(
                msg=f"distribution {dist_id} not Deployed after {timeout} s (still {got['Distribution']['Status']})"
            )
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))


def wanted_tags(params: dict[str, Any]) -> dict[str, str]:
    return {**{str(k): str(v) for k, v in params["tags"].items()}, "Name": params["name"]}


def summary_of(distribution: dict[str, Any], etag: str) -> dict[str, Any]:
    return {
        "distribution_id": distribution["Id"],
        "arn": distribution["ARN"],
        "domain_name": distribution["DomainName"],
        "status": distribution["Status"],
        "etag": etag,
    }


EMPTY = {"distribution_id": "", "arn": "", "domain_name": "", "status": "", "etag": ""}


def ensure_present(module: AnsibleAWSModule, client: Any, found: dict[str, Any] | None) -> dict[str, Any]:
    params = module.params
    desired = build_config(params)
    after = normalise(desired)
    tags = wanted_tags(params)

    if found is None:
        result: dict[str, Any] = {"changed": True, **EMPTY, "diff": {"before": {}, "after": {**after, "tags": tags}}}
        if module.check_mode:
            return result
        config = {**desired, "CallerReference": f"{params['name']}-{uuid.uuid4()}"[:128]}
        created = client.create_distribution_with_tags(
            DistributionConfigWithTags={
                "DistributionConfig": config,
                "Tags": {"Items": [{"Key": k, "Value": v} for k, v in tags.items()]},
            }
        )
        dist, etag = created["Distribution"], created["ETag"]
        if params["wait"]:
            dist = wait_deployed(module, client, dist["Id"], params["wait_timeout"])["Distribution"]
        return {**result, **summary_of(dist, etag)}

    got = client.get_distribution_config(Id=found["Id"])
    current, etag = got["DistributionConfig"], got["ETag"]
    before = project(normalise(current), after)
    config_changed = not same(after, normalise(current))
    have_tags = current_tags(client, found["ARN"])
    to_set, to_remove = tag_changes(have_tags, tags, params["purge_tags"])
    tags_changed = bool(to_set or to_remove)
    result = {
        "changed": config_changed or tags_changed,
        **summary_of(found, etag),
        "diff": {
            "before": {**before, "tags": have_tags},
            "after": {**after, "tags": {k: v for k, v in {**have_tags, **to_set}.items() if k not in to_remove}},
        },
    }
    if module.check_mode or not result["changed"]:
        return result

    dist = found
    if config_changed:
        # Keep what the module does not own (CallerReference, staging and continuous deployment settings, ...).
        config = {**{k: v for k, v in current.items() if k not in desired}, **desired}
        updated = client.update_distribution(Id=found["Id"], IfMatch=etag, DistributionConfig=config)
        dist, etag = updated["Distribution"], updated["ETag"]
    apply_tags(client, found["ARN"], to_set, to_remove)
    if config_changed and params["wait"]:
        dist = wait_deployed(module, client, dist["Id"], params["wait_timeout"])["Distribution"]
    return {**result, **summary_of(dist, etag)}


def ensure_absent(module: AnsibleAWSModule, client: Any, found: dict[str, Any] | None) -> dict[str, Any]:
    if found is None:
        return {"changed": False, **EMPTY, "diff": {"before": {}, "after": {}}}
    got = client.get_distribution_config(Id=found["Id"])
    current, etag = got["DistributionConfig"], got["ETag"]
    result = {"changed": True, **EMPTY, "diff": {"before": normalise(current), "after": {}}}
    if module.check_mode:
        return result
    if current.get("Enabled"):
        # CloudFront deletes only disabled, deployed distributions (DistributionNotDisabled otherwise).
        disabled = client.update_distribution(
            Id=found["Id"], IfMatch=etag, DistributionConfig={**current, "Enabled": False}
        )
        etag = disabled["ETag"]
    # The ETag after the wait is the one DeleteDistribution must name.
    etag = wait_deployed(module, client, found["Id"], module.params["wait_timeout"])["ETag"] or etag
    client.delete_distribution(Id=found["Id"], IfMatch=etag)
    return result


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "aliases": {"type": "list", "elements": "str", "default": []},
            "certificate_arn": {"type": "str"},
            "minimum_protocol_version": {"type": "str", "default": "TLSv1.2_2021"},
            "primary_origin": {"type": "str"},
            "failover_origin": {"type": "str"},
            "origin_read_timeout": {"type": "int", "default": 30},
            "failover_status_codes": {"type": "list", "elements": "int", "default": [500, 502, 503, 504]},
            "api_path_pattern": {"type": "str", "default": "/api/*"},
            "cache_policy_id": {"type": "str", "default": "83da9c7e-98b4-4e11-a168-04f0df8e2c65"},
            "price_class": {
                "type": "str",
                "choices": ["PriceClass_All", "PriceClass_200", "PriceClass_100"],
                "default": "PriceClass_All",
            },
            "http_version": {
                "type": "str",
                "choices": ["http1.1", "http2", "http3", "http2and3"],
                "default": "http2and3",
            },
            "ipv6": {"type": "bool", "default": True},
            "web_acl_id": {"type": "str", "default": ""},
            "logging_bucket": {"type": "str", "default": ""},
            "logging_prefix": {"type": "str", "default": "cloudfront/"},
            "enabled": {"type": "bool", "default": True},
            "tags": {"type": "dict", "default": {}},
            "purge_tags": {"type": "bool", "default": True},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 1800},
        },
        required_if=[("state", "present", ["primary_origin", "failover_origin"])],
        supports_check_mode=True,
    )
    check_params(module)
    # CloudFront is a global service whose API lives in us-east-1.
    client = module.client("cloudfront", region="us-east-1", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = find_distribution(client, module.params["name"])
    except LookupError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # botocore errors and connection failures alike
        module.fail_json_aws(exc, msg="Could not list CloudFront distributions")

    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client, found)
        else:
            result = ensure_absent(module, client, found)
    except Exception as exc:  # botocore errors and connection failures alike
        module.fail_json_aws(exc, msg=f"Could not converge CloudFront distribution {module.params['name']}")
    module.exit_json(**result, hosted_zone_id=CLOUDFRONT_HOSTED_ZONE_ID, origin_group_id=ORIGIN_GROUP_ID)


if __name__ == "__main__":
    main()

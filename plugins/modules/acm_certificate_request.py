#!/usr/bin/python
"""Request an ACM certificate with DNS validation, publish its validation CNAMEs in Route 53, wait until ISSUED."""

from __future__ import annotations

DOCUMENTATION = r"""
module: acm_certificate_request
short_description: Request a DNS-validated ACM certificate and publish its validation records in Route 53
description:
  - Requests a public ACM certificate validated by DNS, UPSERTs the validation CNAMEs ACM asks for into a
    Route 53 hosted zone, and waits until ACM reports it C(ISSUED).
  - M(community.aws.acm_certificate) can only import certificates; this module requests them.
  - An existing certificate is reused when it has the same O(domain_name), the same set of subject alternative
    names, is not failed, expired, revoked or timed out, and carries every tag in O(tags). So two projects that
    use the same domain name with different tags each get their own certificate.
  - Only missing or different validation records are written, so a re-run against an issued certificate whose
    records are in place makes no change and no mutating call.
  - ACM uses one validation record per domain name and account, in every region. The certificate for
    CloudFront (us-east-1) and the regional certificates for the load balancers therefore share their records.
version_added: 0.1.0
author: Tricontinent team
options:
  domain_name:
    description: The certificate's domain name (its subject), for example C(app.example.com) or C(*.example.com).
    type: str
    required: true
  subject_alternative_names:
    description:
      - Further names on the certificate. The domain name itself is always on it and need not be listed.
      - The order does not matter; a different set of names is a different certificate.
    type: list
    elements: str
    default: []
  hosted_zone_id:
    description:
      - The Route 53 hosted zone (C(Z...) or C(/hostedzone/Z...)) in which the validation CNAMEs are
        UPSERTed. Every name on the certificate must fall under this zone.
      - Route 53 is global; the module uses the same connection parameters as for ACM.
      - Required when O(state=present). With O(state=absent), the certificate's validation records are
        removed from this zone once no remaining certificate uses them; omit it to leave the zone alone.
    type: str
  tags:
    description:
      - Tags put on a new certificate. An existing certificate is only reused when it carries every one of
        them (it may carry more).
    type: dict
    default: {}
  shared_record_regions:
    description:
      - Further regions whose certificates may use the same validation records (ACM gives one record per
        domain name and account, whatever the region). With O(state=absent), a record still used by a
        certificate in this region or in one of these regions is kept, so removing one region's certificate
        does not break the renewal of another's.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) requests the certificate (unless a matching one exists) and publishes its records.
      - V(absent) deletes every matching certificate, whatever its status. It fails, deleting nothing, when one
        is still in use by a load balancer or a distribution.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the certificate is C(ISSUED) (O(state=present) only).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the validation records to be known and, with O(wait=true), for the certificate
        to be issued. On timeout the module fails, naming the certificate still C(PENDING_VALIDATION).
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode. In check mode nothing is requested or written; a certificate that
    would be requested has no ARN and no validation records yet.
  - ACM only issues the certificate once it can resolve the validation CNAMEs in public DNS, so the hosted
    zone must be public and delegated to by its parent (its name servers set at the registrar or parent zone).
  - A certificate for CloudFront must be requested in us-east-1.
  - "IAM: acm:RequestCertificate, acm:DescribeCertificate, acm:ListCertificates, acm:ListTagsForCertificate,
    acm:AddTagsToCertificate (needed to tag on request), acm:DeleteCertificate; route53:ChangeResourceRecordSets,
    route53:ListResourceRecordSets, route53:GetChange."
"""

EXAMPLES = r"""
- name: Certificate for CloudFront
  tricontinent.activeactive.acm_certificate_request:
    aws_region: us-east-1
    domain_name: app.example.com
    subject_alternative_names: [www.app.example.com]
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    tags: {Project: tricontinent}
  register: edge_certificate

- name: Certificate for this region's load balancer, without waiting for issuance
  tricontinent.activeactive.acm_certificate_request:
    domain_name: eu.app.example.com
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    tags: {Project: tricontinent}
    wait: false

- name: Remove the regional certificate and, once unused, its validation records
  tricontinent.activeactive.acm_certificate_request:
    domain_name: eu.app.example.com
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    tags: {Project: tricontinent}
    shared_record_regions: [us-east-1, us-west-2, ap-southeast-2]
    state: absent
"""

RETURN = r"""
certificate_arn:
  description:
    - ARN of the certificate. Empty when none exists (check mode before a request; O(state=absent) when
      nothing matched). With O(state=absent), the first deleted certificate.
  type: str
  returned: always
status:
  description:
    - The certificate's status, such as C(ISSUED) or C(PENDING_VALIDATION) (O(wait=false) or check mode).
      C(DELETED) after O(state=absent) deleted it (or would, in check mode); empty when nothing matched.
  type: str
  returned: always
domain_name: {description: The certificate's domain name., type: str, returned: always}
subject_alternative_names:
  description: Every name on the certificate, the domain name first (as ACM lists them).
  type: list
  elements: str
  returned: always
validation_records:
  description: The CNAMEs ACM validates the certificate with, one per distinct record (empty before a request).
  type: list
  elements: dict
  returned: always
  contains:
    name: {description: Record name fully qualified with the trailing dot., type: str}
    type: {description: Record type (C(CNAME))., type: str}
    value: {description: Record value., type: str}
deleted_certificate_arns:
  description: With O(state=absent), every certificate deleted (in check mode, that would be).
  type: list
  elements: str
  returned: when state=absent
removed_records:
  description: With O(state=absent), the validation records removed from the zone (check mode, that would be).
  type: list
  elements: dict
  returned: when state=absent
"""

import hashlib
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# A certificate in one of these states can never serve again, so it is never reused.
DEAD_STATUSES = frozenset({"FAILED", "EXPIRED", "REVOKED", "VALIDATION_TIMED_OUT"})
# ListCertificates returns only RSA_2048 certificates unless asked for other key types.
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
RECORD_TTL = 300
POLL_SECONDS = 5

Record = dict[str, str]


def fqdn(name: str) -> str:
    """Route 53 names end with a dot and compare case-insensitively."""
    return name.rstrip(".").lower() + "."


def wanted_names(domain: str, sans: list[str]) -> list[str]:
    """Every name on the certificate, the domain first and no duplicate (ACM lists the domain as a SAN too)."""
    return list(dict.fromkeys([domain.lower(), *(s.lower() for s in sans)]))


def idempotency_token(domain: str, sans: list[str], tags: dict[str, str]) -> str:
    """Same request -> same token, so a retried call cannot make two certificates (ACM: \\w{1,32}).

    The tags are part of it: within the token's hour ACM returns the token's certificate whatever the tags,
    which would hand one project's certificate to another using the same names.
    """
    material = "|".join(
        [domain.lower(), *sorted(set(wanted_names(domain, sans))), *sorted(f"{k}={v}" for k, v in tags.items())]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def records_of(cert: dict[str, Any]) -> list[Record]:
    """The certificate's validation CNAMEs, once each (a wildcard shares its base name's record)."""
    seen: dict[str, Record] = {}
    for option in cert.get("DomainValidationOptions", []):
        rr = option.get("ResourceRecord")
        if rr:
            seen.setdefault(fqdn(rr["Name"]), {"name": fqdn(rr["Name"]), "type": rr["Type"], "value": rr["Value"]})
    return list(seen.values())


def created_at(cert: dict[str, Any]) -> float:
    created = cert.get("CreatedAt")
    return created.timestamp() if hasattr(created, "timestamp") else 0.0


def records_known(cert: dict[str, Any]) -> bool:
    options = cert.get("DomainValidationOptions", [])
    return bool(options) and all(o.get("ResourceRecord") for o in options)


class Certificates:
    """ACM reads and writes for one region."""

    def __init__(self, module: AnsibleAWSModule, region: str | None = None) -> None:
        extra = {"region": region} if region else {}
        self.module = module
        self.client = module.client("acm", retry_decorator=AWSRetry.jittered_backoff(), **extra)

    def summaries(self) -> list[dict[str, Any]]:
        paginator = self.client.get_paginator("list_certificates")
        pages = paginator.paginate(Includes={"keyTypes": KEY_TYPES}).build_full_result()
        return list(pages.get("CertificateSummaryList", []))

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.client.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"])

    def tags(self, arn: str) -> dict[str, str]:
        tags = self.client.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags", [])
        return {t["Key"]: t.get("Value", "") for t in tags}

    def matching(
        self, domain: str, sans: list[str], tags: dict[str, str], *, usable_only: bool
    ) -> list[dict[str, Any]]:
        """Certificates ACM issued for exactly these names and carrying every given tag, best first."""
        names = set(wanted_names(domain, sans))
        found = []
        for summary in self.summaries():
            if summary.get("DomainName", "").lower() != domain.lower():
                continue  # cheap filter before one DescribeCertificate per candidate
            cert = self.describe(summary["CertificateArn"])
            if (
                cert.get("Type") != "AMAZON_ISSUED"
                or {n.lower() for n in cert.get("SubjectAlternativeNames", [])} != names
            ):
                continue
            if usable_only and cert.get("Status") in DEAD_STATUSES:
                continue
            if any(o.get("ValidationMethod", "DNS") != "DNS" for o in cert.get("DomainValidationOptions", [])):
                continue  # an email-validated twin never gets DNS records to publish
            have = self.tags(cert["CertificateArn"])
            if all(have.get(k) == v for k, v in tags.items()):
                found.append(cert)
        # An issued certificate beats a pending one; then the newest.
        found.sort(key=lambda c: (c.get("Status") != "ISSUED", -created_at(c)))
        return found

    def uses_record(self, record_name: str, skip: set[str]) -> bool:
        """Whether a certificate (not in skip) still asks for this validation record."""
        base = record_name.split(".", 1)[1]
        for summary in self.summaries():
            arn = summary["CertificateArn"]
            if arn in skip:
                continue
            names = [summary.get("DomainName", ""), *summary.get("SubjectAlternativeNameSummaries", [])]
            names += summary.get("SubjectAlternativeNames", [])
            related = any(fqdn(n.removeprefix("*.")) == base for n in names)
            # Only certificates naming the record's domain can use it: describe just those.
            candidate = related or summary.get("HasAdditionalSubjectAlternativeNames")
            if candidate and any(r["name"] == record_name for r in records_of(self.describe(arn))):
                return True
        return False


class Zone:
    """Route 53 reads and writes for the validation records in one hosted zone."""

    def __init__(self, module: AnsibleAWSModule, zone_id: str) -> None:
        self.module = module
        self.zone_id = zone_id.rsplit("/", 1)[-1]
        self.client = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())

    def current(self, name: str) -> dict[str, Any] | None:
        """The zone's CNAME record set of that name, if any."""
        found = self.client.list_resource_record_sets(
            aws_retry=True, HostedZoneId=self.zone_id, StartRecordName=name, StartRecordType="CNAME", MaxItems="1"
        )["ResourceRecordSets"]
        if found and fqdn(found[0]["Name"]) == name and found[0]["Type"] == "CNAME":
            return dict(found[0])
        return None

    @staticmethod
    def holds(rrset: dict[str, Any] | None, record: Record) -> bool:
        values = [fqdn(r["Value"]) for r in (rrset or {}).get("ResourceRecords", [])]
        return values == [fqdn(record["value"])]

    def change(self, changes: list[dict[str, Any]], deadline: float) -> None:
        change = self.client.change_resource_record_sets(
            aws_retry=True,
            HostedZoneId=self.zone_id,
            ChangeBatch={"Comment": "ACM DNS validation (acm_certificate_request)", "Changes": changes},
        )["ChangeInfo"]
        # INSYNC: every Route 53 name server answers with the change, so ACM can see it.
        while change["Status"] != "INSYNC" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            change = self.client.get_change(aws_retry=True, Id=change["Id"])["ChangeInfo"]

    @staticmethod
    def upsert(record: Record) -> dict[str, Any]:
        return {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": record["name"],
                "Type": "CNAME",
                "TTL": RECORD_TTL,
                "ResourceRecords": [{"Value": record["value"]}],
            },
        }


def view(cert: dict[str, Any] | None, records: list[Record]) -> dict[str, Any]:
    """The module's result (and diff) shape for a certificate, or for none."""
    cert = cert or {}
    return {
        "certificate_arn": cert.get("CertificateArn", ""),
        "domain_name": cert.get("DomainName", ""),
        "subject_alternative_names": list(cert.get("SubjectAlternativeNames", [])),
        "status": cert.get("Status", ""),
        "validation_records": records,
    }


def wait_for_records(acm: Certificates, cert: dict[str, Any], deadline: float) -> dict[str, Any]:
    # On AWS the ResourceRecords appear a few seconds after RequestCertificate returns.
    while not records_known(cert):
        if time.monotonic() >= deadline:
            acm.module.fail_json(msg=f"ACM gave no DNS validation records for {cert['CertificateArn']} in time")
        time.sleep(2)
        cert = acm.describe(cert["CertificateArn"])
    return cert


def wait_until_issued(acm: Certificates, cert: dict[str, Any], deadline: float, zone_id: str) -> dict[str, Any]:
    # Read once at once: records just written may already have validated it (the status in hand predates them).
    if cert["Status"] == "PENDING_VALIDATION":
        cert = acm.describe(cert["CertificateArn"])
    while cert["Status"] == "PENDING_VALIDATION":
        if time.monotonic() >= deadline:
            acm.module.fail_json(
                msg=(
                    f"Certificate {cert['CertificateArn']} is still PENDING_VALIDATION after "
                    f"{acm.module.params['wait_timeout']} s. Its validation CNAMEs are in hosted zone {zone_id}, "
                    "but ACM validates through public DNS: the zone must be delegated (its name servers set at "
                    "the registrar or in the parent zone) for DNS validation to complete."
                ),
                certificate_arn=cert["CertificateArn"],
                status=cert["Status"],
            )
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        cert = acm.describe(cert["CertificateArn"])
    if cert["Status"] != "ISSUED":
        acm.module.fail_json(
            msg=f"Certificate {cert['CertificateArn']} is {cert['Status']}, not ISSUED",
            certificate_arn=cert["CertificateArn"],
        )
    return cert


def request(acm: Certificates, domain: str, sans: list[str], tags: dict[str, str]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "DomainName": domain,
        "ValidationMethod": "DNS",
        "IdempotencyToken": idempotency_token(domain, sans, tags),
    }
    extra = [n for n in wanted_names(domain, sans) if n != domain.lower()]
    if extra:  # the API refuses an empty list
        args["SubjectAlternativeNames"] = extra
    if tags:
        args["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn = acm.client.request_certificate(**args)["CertificateArn"]
    return acm.describe(arn)


def present(module: AnsibleAWSModule, acm: Certificates, zone: Zone) -> None:
    params = module.params
    domain, sans, tags = params["domain_name"], params["subject_alternative_names"], params["tags"]
    deadline = time.monotonic() + params["wait_timeout"]

    existing = acm.matching(domain, sans, tags, usable_only=True)
    cert = existing[0] if existing else None
    changed = cert is None
    if cert is None:
        before = view(None, [])
        if module.check_mode:
            would = {"DomainName": domain, "SubjectAlternativeNames": wanted_names(domain, sans)}
            after = view({**would, "Status": "PENDING_VALIDATION"}, [])
            module.exit_json(changed=True, **after, diff={"before": before, "after": after})
        cert = request(acm, domain, sans, tags)

    cert = wait_for_records(acm, cert, deadline)
    records = records_of(cert)
    in_zone = [r for r in records if zone.holds(zone.current(r["name"]), r)]
    if existing:
        before = view(cert, in_zone)
    missing = [r for r in records if r not in in_zone]
    if missing:
        changed = True
        if not module.check_mode:
            zone.change([Zone.upsert(r) for r in missing], deadline)

    if params["wait"] and not module.check_mode:
        cert = wait_until_issued(acm, cert, deadline, zone.zone_id)
    after = view(cert, records)
    module.exit_json(changed=changed, **after, diff={"before": before, "after": after})


def removable_records(regions: list[Certificates], zone: Zone, certs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deleted certificates' record sets that hold their value and that no other certificate needs."""
    skip = {c["CertificateArn"] for c in certs}
    removable = []
    for record in {r["name"]: r for c in certs for r in records_of(c)}.values():
        rrset = zone.current(record["name"])
        # Never remove a record someone pointed elsewhere, nor one another certificate still validates with.
        if not Zone.holds(rrset, record) or any(acm.uses_record(record["name"], skip) for acm in regions):
            continue
        removable.append(rrset)
    return removable


def absent(module: AnsibleAWSModule, acm: Certificates, zone: Zone | None) -> None:
    params = module.params
    certs = acm.matching(params["domain_name"], params["subject_alternative_names"], params["tags"], usable_only=False)
    busy = [c for c in certs if c.get("InUseBy")]
    if busy:
        module.fail_json(
            msg="; ".join(f"Certificate {c['CertificateArn']} is still in use by {c['InUseBy']}" for c in busy)
            + ": detach it from those load balancers or distributions first. Nothing was deleted."
        )
    regions = [acm, *(Certificates(module, r) for r in params["shared_record_regions"] if r != module.region)]
    rrsets = removable_records(regions, zone, certs) if zone and certs else []

    if not module.check_mode:
        for cert in certs:
            acm.client.delete_certificate(aws_retry=True, CertificateArn=cert["CertificateArn"])
        if rrsets and zone:
            zone.change([{"Action": "DELETE", "ResourceRecordSet": r} for r in rrsets], time.monotonic() + 60)

    first = certs[0] if certs else None
    before = view(first, records_of(first) if first else [])
    after = view({**first, "Status": "DELETED"} if first else None, [])
    removed = [{"name": fqdn(r["Name"]), "type": r["Type"], "value": r["ResourceRecords"][0]["Value"]} for r in rrsets]
    module.exit_json(
        changed=bool(certs),
        **after,
        deleted_certificate_arns=[c["CertificateArn"] for c in certs],
        removed_records=removed,
        diff={"before": before, "after": after},
    )


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "domain_name": {"type": "str", "required": True},
            "subject_alternative_names": {"type": "list", "elements": "str", "default": []},
            "hosted_zone_id": {"type": "str"},
            "tags": {"type": "dict", "default": {}},
            "shared_record_regions": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 900},
        },
        supports_check_mode=True,
    )
    params = module.params
    params["tags"] = {str(k): str(v) for k, v in params["tags"].items()}
    if params["state"] == "present" and not params["hosted_zone_id"]:
        module.fail_json(
            msg="hosted_zone_id is required with state=present: it names the Route 53 zone that receives the "
            "certificate's DNS validation CNAMEs"
        )
    acm = Certificates(module)
    zone = Zone(module, params["hosted_zone_id"]) if params["hosted_zone_id"] else None
    try:
        if params["state"] == "present":
            assert zone is not None
            present(module, acm, zone)
        else:
            absent(module, acm, zone)
    except Exception as exc:  # botocore errors and connection failures alike
        action = "request and validate" if params["state"] == "present" else "delete"
        module.fail_json_aws(exc, msg=f"Could not {action} the certificate for {params['domain_name']}")


if __name__ == "__main__":
    main()

"""ACM: a DNS-validated certificate is ISSUED once its validation CNAMEs are in DNS, and not before.

AWS (ACM User Guide, "AWS Certificate Manager DNS validation"; ACM API Reference, ``RequestCertificate``,
``DescribeCertificate``, ``DomainValidation``, ``ResourceRecord``): a certificate requested with
``ValidationMethod=DNS`` stays ``PENDING_VALIDATION`` until ACM can resolve, for every domain name in it, the
CNAME ``ResourceRecord`` it published in ``DomainValidationOptions`` (``_<hex>.<domain>.`` ->
``_<hex>.<hex>.acm-validations.aws.``); each domain's ``ValidationStatus`` turns ``SUCCESS`` as its record is
found, and the certificate ``ISSUED`` when all are. The record depends on the account and the domain name only
(a wildcard ``*.example.com`` shares the record of ``example.com``), so two certificates for the same names in
one account, in any region, ask for the same CNAME.

Stock moto returns one constant record for every domain and issues every certificate after a 60 s timer
(``MOTO_ACM_VALIDATION_WAIT``) whether or not any record exists. Here the emulator's own Route 53 stands in for
public DNS: a record "resolves" when a public hosted zone of the same account, whose name the record falls
under, holds a CNAME of that name with that value. The check runs whenever moto reads the certificate (every
ACM call naming it), never on a timer. ``SubjectAlternativeNames`` and ``DomainValidationOptions`` keep the
request's order (domain name first), as AWS returns them.

Also: an ``IdempotencyToken`` whose certificate was deleted starts a new request (moto raised a KeyError, a 500).
Email-validated, private and imported certificates, and requests naming no ``ValidationMethod``, keep moto's
behaviour.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.acm.models import AWSCertificateManagerBackend, CertBundle
from moto.acm.responses import AWSCertificateManagerResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53.models import route53_backends

VALIDATION_SUFFIX = "acm-validations.aws."


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:length]


def validation_record(account_id: str, domain: str) -> dict[str, str]:
    """The CNAME ACM asks for: one per account and base domain name, the same for every certificate."""
    base = (domain[2:] if domain.startswith("*.") else domain).rstrip(".").lower()
    return {
        "Name": f"_{_hex('name', account_id, base, length=32)}.{base}.",
        "Type": "CNAME",
        "Value": f"_{_hex('value', account_id, base, length=32)}.{_hex('dir', base, length=10)}.{VALIDATION_SUFFIX}",
    }


def _arn_parts(arn: str) -> tuple[str, str]:
    """arn:<partition>:acm:<region>:<account>:certificate/<id> -> (partition, account)."""
    fields = arn.split(":")
    return fields[1], fields[4]


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def record_resolves(partition: str, account_id: str, record: dict[str, str]) -> bool:
    """True when a public zone of the account holds the CNAME with that value (the emulator's public DNS)."""
    name, value = _fqdn(record["Name"]), _fqdn(record["Value"])
    for zone in route53_backends[account_id][partition].zones.values():
        # A private zone is not visible to ACM's resolvers; a zone only answers for names under it.
        if zone.private_zone or not ("." + name).endswith("." + _fqdn(zone.name)):
            continue
        for rrset in zone.rrsets:
            if rrset.type == "CNAME" and _fqdn(rrset.name) == name and value in {_fqdn(v) for v in rrset.records}:
                return True
    return False


def _dns_validated(bundle: CertBundle) -> bool:
    return bundle.type == "AMAZON_ISSUED" and getattr(bundle, "validation_method", None) == "DNS"


def domain_names(bundle: CertBundle) -> list[str]:
    """The certificate's names in the request's order (domain name first), without duplicates."""
    requested: list[str] | None = getattr(bundle, "requested_names", None)
    if requested:
        return requested
    return [bundle.common_name, *sorted(set(bundle.sans) - {bundle.common_name})]


def validated_names(bundle: CertBundle) -> set[str]:
    partition, account_id = _arn_parts(bundle.arn)
    return {
        name
        for name in domain_names(bundle)
        if record_resolves(partition, account_id, validation_record(account_id, name))
    }


def apply() -> None:
    original_check = CertBundle.check

    def check(self: CertBundle) -> None:
        if not _dns_validated(self):
            original_check(self)
            return
        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
        elif self.status == "PENDING_VALIDATION" and validated_names(self) == set(domain_names(self)):
            self.status = "ISSUED"

    CertBundle.check = check  # type: ignore[method-assign]

    original_describe = CertBundle.describe

    def describe(self: CertBundle) -> dict[str, Any]:
        result = original_describe(self)
        if not _dns_validated(self):
            return result
        _, account_id = _arn_parts(self.arn)
        names = domain_names(self)
        done = set(names) if self.status == "ISSUED" else validated_names(self)
        # A name not validated while the certificate is no longer pending (expired, revoked) did not validate.
        pending = "PENDING_VALIDATION" if self.status == "PENDING_VALIDATION" else "FAILED"
        cert = result["Certificate"]
        cert["SubjectAlternativeNames"] = names
        cert["DomainValidationOptions"] = [
            {
                "DomainName": name,
                "ValidationDomain": name,
                "ValidationStatus": "SUCCESS" if name in done else pending,
                "ValidationMethod": "DNS",
                "ResourceRecord": validation_record(account_id, name),
            }
            for name in names
        ]
        if self.status != "ISSUED":
            cert.pop("IssuedAt", None)
        return result

    CertBundle.describe = describe  # type: ignore[method-assign]

    original_request = AWSCertificateManagerBackend.request_certificate

    def request_certificate(self: AWSCertificateManagerBackend, *args: Any, **kwargs: Any) -> str:
        token = kwargs.get("idempotency_token", args[1] if len(args) > 1 else None)
        entry = self._idempotency_tokens.get(token) if token is not None else None
        if entry is not None and entry["arn"] not in self._certificates:
            # The token's certificate was deleted: AWS treats the request as new, moto crashed.
            del self._idempotency_tokens[token]
        return str(original_request(self, *args, **kwargs))

    AWSCertificateManagerBackend.request_certificate = request_certificate  # type: ignore[method-assign]

    original_response = AWSCertificateManagerResponse.request_certificate

    def request_certificate_response(self: AWSCertificateManagerResponse) -> ActionResult:
        result = original_response(self)
        arn = result.result["CertificateArn"]  # type: ignore[index]
        bundle = self.acm_backend._certificates[arn]
        if not hasattr(bundle, "validation_method"):
            # Only the first request sets these: an idempotent repeat returns the same certificate.
            domain = self._get_param("DomainName")
            sans = self._get_param("SubjectAlternativeNames") or []
            bundle.requested_names = list(dict.fromkeys([domain, *sans]))
            # Only an explicit DNS request is changed; the API Reference documents no default method.
            bundle.validation_method = self._get_param("ValidationMethod")
        return result

    AWSCertificateManagerResponse.request_certificate = request_certificate_response  # type: ignore[method-assign]

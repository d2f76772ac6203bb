"""ACM: a certificate's ``InUseBy`` follows the load balancers whose listeners actually use it.

On AWS, DescribeCertificate's ``InUseBy`` lists the ARNs of the resources using the certificate, such as each
Elastic Load Balancing load balancer whose HTTPS listener holds it, and the list shrinks when the listener is
changed to another certificate or deleted with its load balancer; ``DeleteCertificate`` is refused with
``ResourceInUseException`` only while the list is non-empty (ACM API Reference, ``CertificateDetail.InUseBy``
and ``DeleteCertificate``; ACM User Guide, "Delete certificates": "you must first remove the certificate from
any load balancer"). Stock moto appends the listener's ARN when an ELBv2 listener is created with a
certificate and never removes it, so a certificate stays "in use" after its load balancer is gone, and a
certificate set later through ModifyListener never counts as used.

Here the ELBv2 part of ``InUseBy`` is computed on every read from the region's load balancers: the ARN of each
load balancer with a listener holding the certificate (default or additional). Entries moto recorded for
other services (classic load balancers) are kept as recorded.
"""

from __future__ import annotations

from typing import Any

from moto.acm import models as acm_models
from moto.core.exceptions import AWSError
from moto.elbv2.models import elbv2_backends


class ResourceInUseException(AWSError):
    TYPE = "ResourceInUseException"


def _load_balancers_using(certificate_arn: str) -> list[str]:
    _, _, _, region, account_id, _ = certificate_arn.split(":", 5)
    backend = elbv2_backends[account_id][region]
    users = []
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            held = {listener.certificate, *(listener.certificates or [])}
            if certificate_arn in held:
                users.append(balancer.arn)
                break
    return users


def _recorded_non_elbv2(bundle: Any) -> list[str]:
    """moto's own records, minus the ELBv2 ones (listener or load balancer ARNs of app/ and net/ balancers)."""
    return [arn for arn in bundle.in_use_by if not any(f"/{kind}/" in arn for kind in ("app", "net"))]


def apply() -> None:
    original_describe = acm_models.CertBundle.describe

    def describe_with_live_users(self: Any) -> dict[str, Any]:
        self.in_use_by = _recorded_non_elbv2(self) + _load_balancers_using(self.arn)
        return original_describe(self)

    acm_models.CertBundle.describe = describe_with_live_users  # type: ignore[method-assign]

    original_delete = acm_models.AWSCertificateManagerBackend.delete_certificate

    def delete_unless_in_use(self: Any, arn: str) -> None:
        bundle = self.get_certificate(arn)
        users = _recorded_non_elbv2(bundle) + _load_balancers_using(arn)
        if users:
            raise ResourceInUseException(f"Certificate {arn} is in use by {', '.join(users)}")
        original_delete(self, arn)

    acm_models.AWSCertificateManagerBackend.delete_certificate = delete_unless_in_use  # type: ignore[method-assign]

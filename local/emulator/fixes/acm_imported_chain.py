"""ACM: an imported certificate's chain is returned exactly as it was imported.

For an imported certificate, GetCertificate returns the ``CertificateChain`` that was passed to
ImportCertificate and omits it when none was (ACM API Reference, ``GetCertificate``; ACM User Guide,
"Importing certificates"). Stock moto appends its own root CA, so ``community.aws.acm_certificate`` sees a
different chain on every run and re-imports.
"""

from __future__ import annotations

from typing import Any

from moto.acm.models import CertBundle
from moto.acm.responses import AWSCertificateManagerResponse
from moto.core.responses import ActionResult


def apply() -> None:
    original_init = CertBundle.__init__

    def __init__(self: CertBundle, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.type == "IMPORTED":
            chain = kwargs.get("chain") if "chain" in kwargs else (args[3] if len(args) > 3 else None)
            self.chain = chain or b""

    CertBundle.__init__ = __init__  # type: ignore[method-assign]

    def get_certificate(self: AWSCertificateManagerResponse) -> ActionResult:
        arn = self._get_param("CertificateArn")
        bundle = self.acm_backend.get_certificate(arn)
        result: dict[str, str] = {"Certificate": bundle.cert.decode()}
        if bundle.chain:
            result["CertificateChain"] = bundle.chain.decode()
        return ActionResult(result=result)

    original_get = AWSCertificateManagerResponse.get_certificate

    def get_certificate_or_original(self: AWSCertificateManagerResponse) -> ActionResult:
        if self._get_param("CertificateArn") is None:
            return original_get(self)
        return get_certificate(self)

    AWSCertificateManagerResponse.get_certificate = get_certificate_or_original  # type: ignore[method-assign]

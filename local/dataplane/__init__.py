"""The local data plane: what AWS would run behind the emulator's control plane, on loopback only.

Local mode only; nothing here is used with ``inventories/aws``. One daemon (``python -m dataplane run``,
started by ``local/bin/dataplane start``) follows the emulator's state once a second:

- ``instances``: every instance the emulator's Auto Scaling groups hold becomes a process running the app's
  own ``monolith-bootstrap``, installed from the wheelhouse the artifact role uploaded (as EC2 user data
  does), with the environment that instance's launch template user data exports;
- ``imds``: a stand-in for the instance metadata service, one path prefix per instance (IMDSv2 tokens,
  identity, Auto Scaling's target lifecycle state);
- ``haproxy``: HAProxy (Debian's package) where AWS has ALBs, Route 53 and CloudFront: per region a front
  that splits requests between the blue and green target groups by the listener's weights, with active
  ``/readyz`` checks, and one global entry that sends clients to the home region and fails over to the next
  healthy one. Config changes are applied with HAProxy's own reload, which keeps open connections.

``topology`` says which regions and ports; ``cloud`` reads the emulator; ``daemon`` ties them together.
"""

"""``pfbus certs``: test certificates and fingerprints.

- ``pfbus certs make-test-ca DIR [--adapter ID …] [--server NAME …]`` — a throwaway CA, the
  hub's certificate, one client certificate per adapter and one server certificate per provider
  (bus/hub/testca.py); prints the ``[[adapters]]`` lines with each fingerprint;
- ``pfbus certs fingerprint FILE.pem`` — the SHA-256 fingerprint to put in
  ``[[adapters]] certificate_fingerprint``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="certs_command", required=True, metavar="ACTION")
    make = sub.add_parser("make-test-ca", help="a test CA with hub, adapter and provider "
                                               "certificates (not for production)")
    make.add_argument("directory", metavar="DIR")
    make.add_argument("--adapter", action="append", default=[], metavar="ID",
                      help="an adapter's client certificate (CN = ID); repeatable")
    make.add_argument("--server", action="append", default=[], metavar="NAME",
                      help="a provider's server certificate (localhost, 127.0.0.1); repeatable")
    make.add_argument("--days", type=int, default=30)
    fp = sub.add_parser("fingerprint", help="SHA-256 fingerprint of a PEM certificate")
    fp.add_argument("certificate", metavar="FILE.pem")


def run(args: argparse.Namespace) -> int:
    return common.run_command("certs", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from ..core.access import format_fingerprint
    from ..hub.testca import make_test_ca

    if args.certs_command == "fingerprint":
        try:
            cert = x509.load_pem_x509_certificate(Path(args.certificate).read_bytes())
        except (OSError, ValueError) as exc:
            raise common.CommandError(f"{args.certificate}: {exc}") from None
        print(format_fingerprint(cert.fingerprint(hashes.SHA256()).hex()))
        return common.EXIT_OK
    prints = make_test_ca(args.directory, args.adapter, args.server, args.days)
    print(f"# test CA in {args.directory} (ca.pem, hub.pem/.key, one .pem/.key per name)")
    for name in args.adapter:
        print(f'[[adapters]]\nid = "{name}"\ncertificate_fingerprint = "{prints[name]}"\n'
              f'parties = []  # the sender identities it owns: "団体コード/業務ユニット/{name}"\n')
    return common.EXIT_OK

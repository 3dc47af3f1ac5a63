"""A throwaway certificate authority for trying gRPC over (mutual) TLS on one machine: tests make
one per run, and `python -m gatehouse_devstack.certificates DIR identity registry notifier`
writes one for docker compose (deploy/tls). Nothing here is meant for production certificates
(use cert-manager or your PKI)."""

from __future__ import annotations

import argparse
import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class IssuedCertificate:
    cert_file: str
    key_file: str


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    ca_file: str

    @classmethod
    def create(cls, directory: Path, name: str, *, file_name: str = "") -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
        cert = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        path = directory / (file_name or f"{name}-ca.pem")
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, str(path))

    def issue(self, directory: Path, name: str) -> IssuedCertificate:
        """A certificate for `name`, localhost and 127.0.0.1, for serving and for calling (the
        extended key usages serverAuth and clientAuth, as one service certificate needs)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        names: list[x509.GeneralName] = [x509.DNSName(name), x509.DNSName("localhost")]
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        cert = (
            _builder(subject, self.cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.touch(mode=0o600)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return IssuedCertificate(str(cert_path), str(key_path))


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gatehouse_devstack.certificates",
        description="Write ca.pem and <name>.pem/<name>.key for each name into DIRECTORY.",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("names", nargs="+", help="service names, as the others dial them")
    arguments = parser.parse_args(argv)
    arguments.directory.mkdir(parents=True, exist_ok=True)
    authority = Authority.create(arguments.directory, "gatehouse", file_name="ca.pem")
    for name in arguments.names:
        issued = authority.issue(arguments.directory, name)
        print(f"{name}: {issued.cert_file} {issued.key_file}")
    print(f"authority: {authority.ca_file} (valid {VALIDITY.days} day)")


if __name__ == "__main__":
    main()

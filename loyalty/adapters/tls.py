"""The station's own certificate authority and server certificate, for HTTPS on the clinic network.

A tablet trusts the station by installing its CA once, when it is paired. The CA is name-constrained
to private addresses and local names: a tablet that trusts it cannot be shown a false internet site
with it, even by someone who stole the station's CA key. The server certificate is issued again
from the same CA when the station's addresses change or its end nears, so paired tablets keep
trusting the station. Keys are EC P-256; the server certificate lives 397 days, within what
iPadOS, Android and Chromium accept for any server certificate.
"""
from __future__ import annotations

import ipaddress
import os
import plistlib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=60)
CA_FILE, CA_KEY, SERVER_FILE, SERVER_KEY = "station-ca.crt", "station-ca.key", "server.crt", "server.key"

# Where a clinic network lives: private IPv4 ranges, carrier-grade NAT, link-local, ULA and link-local IPv6.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8",
    "fc00::/7", "fe80::/10", "::1/128"))
LOCAL_DOMAINS = ("local", "home.arpa", "lan", "internal", "localhost")


class CertificateError(Exception):
    """A certificate or key the station cannot use, in words for the practice manager."""


@dataclass(frozen=True)
class ServerCertificate:
    cert_file: Path
    key_file: Path
    names: tuple[str, ...]          # DNS names and addresses it is valid for
    left_out: tuple[str, ...] = ()  # names the CA may not vouch for (outside its constraints)


def authority(directory: Path, label: str, addresses: list[str] = (), names: list[str] = ()) -> Path:
    """The CA certificate in `directory`, made on first use; returns its path.

    Its constraints allow the private ranges, local domains, and the given addresses and names
    that lie outside them (a clinic on a public address range), fixed at creation.
    """
    cert_path = directory / CA_FILE
    if cert_path.is_file() and (directory / CA_KEY).is_file():
        return cert_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Loyalty station"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{label} CA"[:64])])
    networks = list(PRIVATE_NETWORKS)
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not any(ip in n for n in networks if n.version == ip.version):
            networks.append(ipaddress.ip_network(f"{ip}/{ip.max_prefixlen}"))
    domains = list(dict.fromkeys([*LOCAL_DOMAINS, *(n.lower().rstrip(".") for n in names)]))
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(d) for d in domains] + [x509.IPAddress(n) for n in networks],
        excluded_subtrees=None)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(constraints, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(directory / CA_KEY, key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def server_certificate(directory: Path, names: list[str], addresses: list[str]) -> ServerCertificate:
    """A server certificate for these names and addresses, signed by the station's CA.

    The one on disk is kept while it covers them all, comes from the current CA and has more than
    60 days left; otherwise a new one is issued. Names the CA's constraints forbid are left out.
    """
    ca_cert = load(directory / CA_FILE)
    ca_key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    wanted, left_out = [], []
    for entry in dict.fromkeys([*addresses, *(n.lower().rstrip(".") for n in names)]):
        (wanted if permitted(ca_cert, entry) else left_out).append(entry)
    cert_path, key_path = directory / SERVER_FILE, directory / SERVER_KEY
    if cert_path.is_file() and key_path.is_file():
        current = load(cert_path)
        if (current.issuer == ca_cert.subject and set(wanted) <= set(covered(current))
                and current.not_valid_after_utc - datetime.now(timezone.utc) > RENEW_BEFORE):
            return ServerCertificate(cert_path, key_path, tuple(covered(current)), tuple(left_out))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    alt = [x509.IPAddress(ipaddress.ip_address(e)) if _is_ip(e) else x509.DNSName(e) for e in wanted]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loyalty station")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return ServerCertificate(cert_path, key_path, tuple(wanted), tuple(left_out))


def own_certificate(cert_file: Path, key_file: Path) -> ServerCertificate:
    """A clinic's own certificate (PEM, full chain) and key, checked to belong together."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert_file), str(key_file))
        cert = load(cert_file)
    except FileNotFoundError as exc:
        raise CertificateError(f"certificate file not found: {exc.filename}") from None
    except (ssl.SSLError, ValueError) as exc:
        raise CertificateError(f"{cert_file} and {key_file} are not a certificate and its key: {exc}") from None
    return ServerCertificate(cert_file, key_file, tuple(covered(cert)))


def load(path: Path) -> x509.Certificate:
    """The first certificate of a PEM file."""
    return x509.load_pem_x509_certificate(path.read_bytes())


def covered(cert: x509.Certificate) -> list[str]:
    """The DNS names and addresses a certificate is valid for."""
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*alt.get_values_for_type(x509.DNSName), *(str(ip) for ip in alt.get_values_for_type(x509.IPAddress))]


def permitted(ca_cert: x509.Certificate, entry: str) -> bool:
    """Whether the CA's name constraints let it vouch for this address or DNS name."""
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    subtrees = constraints.permitted_subtrees or []
    if _is_ip(entry):
        ip = ipaddress.ip_address(entry)
        return any(ip in s.value for s in subtrees if isinstance(s, x509.IPAddress) and s.value.version == ip.version)
    name = entry.lower()
    return any(name == s.value or name.endswith("." + s.value) for s in subtrees if isinstance(s, x509.DNSName))


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate as colon-separated hex pairs, as iPadOS, Android and Windows show it."""
    digest = load(cert_path).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def der(cert_path: Path) -> bytes:
    """The certificate in DER: what Android's and Windows' certificate installers open."""
    return load(cert_path).public_bytes(serialization.Encoding.DER)


def mobileconfig(cert_path: Path) -> bytes:
    """An iPadOS/iOS configuration profile that installs the CA as a root certificate, named as the CA.

    Its ids derive from the certificate's fingerprint, so downloading it twice gives the same profile.
    """
    data = der(cert_path)
    display_name = load(cert_path).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    seed = fingerprint(cert_path)
    ident = "org.loyalty.station-ca." + seed.replace(":", "")[:16].lower()
    payload = {"PayloadCertificateFileName": CA_FILE, "PayloadContent": data,
               "PayloadDescription": display_name, "PayloadDisplayName": display_name,
               "PayloadIdentifier": ident + ".cert", "PayloadType": "com.apple.security.root",
               "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "/cert")).upper(), "PayloadVersion": 1}
    profile = {"PayloadContent": [payload], "PayloadDisplayName": display_name, "PayloadIdentifier": ident,
               "PayloadRemovalDisallowed": False, "PayloadType": "Configuration",
               "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed)).upper(), "PayloadVersion": 1}
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def _is_ip(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
        return True
    except ValueError:
        return False


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_private(path: Path, data: bytes) -> None:
    """A key file readable by the station's user only, written whole or not at all."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)

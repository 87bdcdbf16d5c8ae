"""The station's CA and server certificate, checked by a real X.509 path verifier (cryptography's,
with name constraints), the way a tablet's browser checks them."""
from __future__ import annotations

import ipaddress
import os
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from loyalty.adapters import tls


def verify(directory, cert: x509.Certificate, name: str) -> None:
    """Raises VerificationError unless a tablet trusting the station's CA would accept `cert` for `name`."""
    store = Store([tls.load(directory / tls.CA_FILE)])
    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        subject = x509.DNSName(name)
    PolicyBuilder().store(store).build_server_verifier(subject).verify(cert, [])


def test_server_certificate_is_trusted_for_the_station_names_and_addresses(tmp_path):
    tls.authority(tmp_path, "Loyalty praxis", ["192.168.1.20"], ["praxis-pc"])
    issued = tls.server_certificate(tmp_path, ["praxis-pc", "loyalty-praxis.local"], ["192.168.1.20", "127.0.0.1"])
    cert = tls.load(issued.cert_file)
    for name in ("192.168.1.20", "praxis-pc", "loyalty-praxis.local"):
        verify(tmp_path, cert, name)
    with pytest.raises(VerificationError):
        verify(tmp_path, cert, "192.168.1.21")
    assert os.stat(tmp_path / tls.CA_KEY).st_mode & 0o777 == 0o600
    assert os.stat(issued.key_file).st_mode & 0o777 == 0o600


def test_the_ca_cannot_vouch_for_internet_sites_even_when_its_key_is_stolen(tmp_path):
    tls.authority(tmp_path, "Loyalty praxis", ["192.168.1.20"], ["praxis-pc"])
    issued = tls.server_certificate(tmp_path, ["bank.example.com"], ["8.8.8.8", "192.168.1.20"])
    assert set(issued.left_out) == {"bank.example.com", "8.8.8.8"}
    forged = _signed_by_station_ca(tmp_path, "bank.example.com")    # what a thief with the CA key could make
    with pytest.raises(VerificationError):
        verify(tmp_path, forged, "bank.example.com")


def test_a_new_address_gets_a_new_certificate_from_the_same_ca(tmp_path):
    ca = tls.authority(tmp_path, "Loyalty praxis", ["192.168.1.20"], [])
    fingerprint = tls.fingerprint(ca)
    first = tls.server_certificate(tmp_path, ["praxis-pc"], ["192.168.1.20"])
    serial = tls.load(first.cert_file).serial_number
    assert tls.load(tls.server_certificate(tmp_path, ["praxis-pc"], ["192.168.1.20"]).cert_file).serial_number == serial
    moved = tls.server_certificate(tmp_path, ["praxis-pc"], ["192.168.1.37"])
    assert tls.load(moved.cert_file).serial_number != serial
    verify(tmp_path, tls.load(moved.cert_file), "192.168.1.37")
    assert tls.authority(tmp_path, "Loyalty praxis", ["10.0.0.1"], []) == ca and tls.fingerprint(ca) == fingerprint
    left = tls.load(moved.cert_file).not_valid_after_utc - datetime.now(timezone.utc)
    assert timedelta(days=396) < left <= timedelta(days=397)


def test_own_certificate_must_match_its_key(tmp_path):
    tls.authority(tmp_path, "Loyalty praxis", [], [])
    issued = tls.server_certificate(tmp_path, ["praxis.example.de"], ["192.168.1.20"])
    assert tls.own_certificate(issued.cert_file, issued.key_file).names
    with pytest.raises(tls.CertificateError, match="not a certificate and its key"):
        tls.own_certificate(issued.cert_file, tmp_path / tls.CA_KEY)
    with pytest.raises(tls.CertificateError, match="not found"):
        tls.own_certificate(tmp_path / "missing.crt", issued.key_file)


def _signed_by_station_ca(directory, name: str) -> x509.Certificate:
    ca = tls.load(directory / tls.CA_FILE)
    ca_key = serialization.load_pem_private_key((directory / tls.CA_KEY).read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def test_with_the_clinics_own_certificate_tablets_go_straight_to_https(tmp_path):
    from loyalty.config import Config
    from loyalty.services import network
    tls.authority(tmp_path / "elsewhere", "Their CA", [], ["praxis-weber.de"])
    issued = tls.server_certificate(tmp_path / "elsewhere", ["loyalty.praxis-weber.de"], [])
    config = Config(home=tmp_path, db_path=tmp_path / "loyalty.db", network={
        "mode": "clinic", "https_port": 443, "address": "192.168.1.20",
        "cert_file": str(issued.cert_file), "key_file": str(issued.key_file)})
    link = network.station_link(config)
    assert link.https_base == link.pair_base == "https://loyalty.praxis-weber.de"
    assert link.fingerprint is None and network.ca_download(config, "crt") is None
    assert network.server_certificate(config).cert_file == issued.cert_file
    assert not (tmp_path / "tls").exists()             # no station CA is made beside the clinic's own

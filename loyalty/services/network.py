"""How tablets reach this station on the clinic network: its addresses, names and certificates.

`loyalty run` serves from these, and the staff app shows the same link in the pairing QR code, so
the two can never disagree. Certificates live in `<LOYALTY_HOME>/tls/`.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from loyalty.adapters import lan, tls
from loyalty.config import Config


@dataclass(frozen=True)
class StationLink:
    serving: bool              # the station serves the clinic network (HTTPS, paired devices)
    address: str | None        # the address tablets use; None when the machine has no network
    pair_base: str             # where a new tablet opens its pairing link (before it trusts the station)
    https_base: str            # the station over HTTPS
    fingerprint: str | None    # SHA-256 of the station's CA; None with the clinic's own certificate
    mdns_host: str | None      # <name>.local, or None when mDNS is off

    def pairing_url(self, code: str) -> str:
        return f"{self.pair_base}/pair/{code}"


def tls_dir(config: Config) -> Path:
    return config.home / "tls"


def own_certificate(config: Config) -> bool:
    return bool(config.network.get("cert_file"))


def station_address(config: Config) -> str | None:
    """`[network] address`, else the address of the network card with the default route."""
    configured = config.network.get("address")
    if configured:
        return str(configured)
    found = lan.addresses()
    return found[0] if found else None


def mdns_host(config: Config) -> str | None:
    """`[network] mdns` as `<name>.local` (default loyalty-<computer name>); "" or false turns it off."""
    value = config.network.get("mdns", f"loyalty-{socket.gethostname()}")
    if value is False or not str(value).strip():
        return None
    return f"{lan.mdns_label(str(value).removesuffix('.local'))}.local"


def station_authority(config: Config) -> Path:
    """The station's CA certificate, made on first use (at `loyalty init`)."""
    address = station_address(config)
    host = mdns_host(config)
    return tls.authority(tls_dir(config), f"Loyalty {socket.gethostname()}", [address] if address else [],
                         [socket.gethostname()] + ([host] if host else []))


def server_certificate(config: Config) -> tls.ServerCertificate:
    """The certificate `loyalty run` serves: the clinic's own, or one from the station's CA for its
    current names and addresses (issued again when they change)."""
    if own_certificate(config):
        return tls.own_certificate(Path(config.network["cert_file"]), Path(config.network.get("key_file", "")))
    station_authority(config)
    host = mdns_host(config)
    names = ["localhost", socket.gethostname()] + ([host] if host else [])
    address = station_address(config)
    addresses = list(dict.fromkeys(([address] if address else []) + lan.addresses() + ["127.0.0.1"]))
    return tls.server_certificate(tls_dir(config), names, addresses)


def station_link(config: Config) -> StationLink:
    address = station_address(config)
    host = mdns_host(config)
    if own_certificate(config):
        name = config.network.get("host") or next(
            (n for n in tls.covered(tls.load(Path(config.network["cert_file"]))) if "*" not in n), address)
        https_base = _base("https", name, config.https_port)
        return StationLink(config.clinic_network, address, https_base, https_base, None, host)
    where = address or "127.0.0.1"
    ca = tls_dir(config) / tls.CA_FILE
    return StationLink(config.clinic_network, address, _base("http", where, config.port),
                       _base("https", where, config.https_port), tls.fingerprint(ca) if ca.is_file() else None, host)


def ca_download(config: Config, kind: str) -> tuple[bytes, str, str] | None:
    """The CA as a file a tablet's system understands: "crt" (DER: Android, Windows) or
    "mobileconfig" (iPadOS profile); (data, media type, file name), None without a CA."""
    ca = tls_dir(config) / tls.CA_FILE
    if own_certificate(config) or not ca.is_file():
        return None
    if kind == "mobileconfig":
        return (tls.mobileconfig(ca),
                "application/x-apple-aspen-config", "station-ca.mobileconfig")
    return tls.der(ca), "application/x-x509-ca-cert", "station-ca.crt"


def _base(scheme: str, host: str, port: int) -> str:
    default = {"http": 80, "https": 443}[scheme]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if port == default else f":{port}")

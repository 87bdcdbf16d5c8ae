"""The clinic network as the station sees it: its addresses, and its name announced over mDNS.

A tablet reaches the station by the address in the pairing QR code, or by `<name>.local`, which
zeroconf announces on the network card tablets use (iPadOS, macOS, Windows 10+ and recent Android
resolve `.local` names). The announcement is an `_https._tcp` service, so discovery apps list it too.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

import ifaddr
from zeroconf import IPVersion, ServiceInfo, Zeroconf

SERVICE = "_https._tcp.local."
# Any address outside this machine: connecting a UDP socket to it sends nothing, but makes the
# system pick the source address of its default route.
_ROUTE_PROBE = "198.51.100.1"


def default_route_address() -> str | None:
    """The IPv4 address of the network card with the default route, or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((_ROUTE_PROBE, 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def addresses() -> list[str]:
    """This machine's IPv4 addresses a tablet could use: the default route's first, no loopback or link-local."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address = ipaddress.ip_address(ip.ip)
                if not (address.is_loopback or address.is_link_local):
                    found.append(ip.ip)
    first = default_route_address()
    return list(dict.fromkeys(([first] if first else []) + found))


def mdns_label(text: str) -> str:
    """A name usable as `<label>.local`: lower-case letters, digits and hyphens, at most 63."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label[:63].strip("-") or "loyalty-station"


@dataclass
class Announcement:
    """The station announced over mDNS while it runs; `close()` withdraws it."""
    zeroconf: Zeroconf
    info: ServiceInfo

    @property
    def host(self) -> str:
        return self.info.server.rstrip(".")

    def close(self) -> None:
        try:
            self.zeroconf.unregister_service(self.info)
        finally:
            self.zeroconf.close()


def announce(label: str, address: str, port: int, title: str) -> Announcement:
    """Announce `https://<label>.local:<port>/` on the network card that has `address`.

    A service title already taken on the network gets a number added by zeroconf; the host name
    stays, so it is worth choosing one per location.
    """
    zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    info = ServiceInfo(SERVICE, f"{title[:50]}.{SERVICE}", addresses=[socket.inet_aton(address)], port=port,
                       server=f"{label}.local.", properties={"path": "/"})
    try:
        zc.register_service(info, allow_name_change=True)
    except BaseException:
        zc.close()
        raise
    return Announcement(zc, info)

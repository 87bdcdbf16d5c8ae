"""The clinic network in tests: a station serving HTTPS on this machine's own non-loopback address,
and Chromium that trusts the station's CA the way a paired tablet does.

A tablet's trust is an NSS database in a temporary HOME holding the station's CA (`certutil`, Debian
package libnss3-tools), and a Chromium launched with that HOME: no certificate flag, no ignored
error. Each such browser is launched from the run's one Playwright (`playwright` fixture), so it
lives beside the shared `browser` without a second Playwright. Use:

    with clinic_station(home, lan_address) as station, \\
            trusting_chromium(playwright, station.ca_file, args=[...camera flags...]) as tablet:
        context = pair(tablet, station, "kiosk", permissions=["camera"])
        page = open_flet_page(context, station.https + "/kiosk/")
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.browser import ROOT, chromium, free_port, station_process

DUMMY_INTERFACE, DUMMY_ADDRESS = "loytest0", "198.51.100.10"    # TEST-NET-2: never a real host


def default_route_address() -> str | None:
    """The IPv4 address of the interface with the default route, as `ip` reports it."""
    routes = json.loads(subprocess.run(["ip", "-4", "-j", "route", "show", "default"], check=True,
                                       capture_output=True, text=True).stdout or "[]")
    for route in routes:
        links = json.loads(subprocess.run(["ip", "-4", "-j", "addr", "show", "dev", route["dev"]], check=True,
                                          capture_output=True, text=True).stdout or "[]")
        for link in links:
            for info in link.get("addr_info", []):
                if info.get("scope") == "global":
                    return info["local"]
    return None


@contextmanager
def machine_address():
    """The default route's address; without one, a virtual network card made for the run and removed after."""
    found = default_route_address()
    if found:
        yield found
        return
    subprocess.run(["ip", "link", "add", DUMMY_INTERFACE, "type", "veth", "peer", "name", DUMMY_INTERFACE + "p"],
                   check=True)    # a virtual cable: kernels without the dummy driver have veth
    try:
        subprocess.run(["ip", "addr", "add", f"{DUMMY_ADDRESS}/24", "dev", DUMMY_INTERFACE], check=True)
        for end in (DUMMY_INTERFACE, DUMMY_INTERFACE + "p"):
            subprocess.run(["ip", "link", "set", end, "up"], check=True)
        yield DUMMY_ADDRESS
    finally:
        subprocess.run(["ip", "link", "del", DUMMY_INTERFACE], check=False)


@dataclass
class ClinicStation:
    home: Path
    address: str
    local: str          # the station PC itself: http://127.0.0.1:<port>
    http: str           # a tablet before it trusts the station: http://<address>:<port>
    https: str          # a tablet after: https://<address>:<https port>
    ca_file: Path

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`loyalty ARGS` on this station's home."""
        env = {**os.environ, "LOYALTY_HOME": str(self.home), "LOYALTY_NETWORK": "clinic",
               "LOYALTY_ADDRESS": self.address, "LOYALTY_HTTPS_PORT": self.https.rsplit(":", 1)[1],
               "LOYALTY_PORT": self.http.rsplit(":", 1)[1], "LOYALTY_MDNS": ""}
        env.pop("LOYALTY_DB", None)
        return subprocess.run([sys.executable, "-m", "station.cli", *args], env=env, cwd=ROOT, check=check,
                              capture_output=True, text=True)

    def pairing_url(self, role: str, name: str) -> str:
        """A one-time pairing link, offered by the demo manager through `loyalty devices add`."""
        done = self.cli("devices", "add", "--role", role, "--name", name, "--staff", "Chef", "--pin", "1234",
                        "--json")
        return json.loads(done.stdout)["url"]


@contextmanager
def clinic_station(home: Path, address: str, apps: str = "kiosk,staff", demo: bool = True,
                   env: dict[str, str] | None = None):
    """`loyalty run --network clinic` with its own home; mDNS off (its multicast would leave the machine)."""
    https_port = free_port()
    settings = {"LOYALTY_NETWORK": "clinic", "LOYALTY_HTTPS_PORT": str(https_port), "LOYALTY_ADDRESS": address,
                "LOYALTY_MDNS": "", **(env or {})}
    with station_process(home, env=settings, demo=demo, apps=apps) as local:
        port = local.rsplit(":", 1)[1]
        yield ClinicStation(home, address, local, f"http://{address}:{port}", f"https://{address}:{https_port}",
                            home / "tls" / "station-ca.crt")


@contextmanager
def trusting_chromium(playwright, ca_file: Path, args: tuple[str, ...] = ()):
    """A Chromium whose HOME holds an NSS database trusting `ca_file`, as a tablet that installed it."""
    home = Path(tempfile.mkdtemp(prefix="tablet-home-"))
    try:
        nssdb = home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "station-ca", "-t", "C,,", "-i", str(ca_file)],
                       check=True, capture_output=True)
        with chromium(playwright, args, env={**os.environ, "HOME": str(home)}) as browser:
            yield browser
    finally:
        shutil.rmtree(home, ignore_errors=True)


def pair(browser, station: ClinicStation, role: str, name: str | None = None, **context_options):
    """A browser context paired as `role` through the station's own pages: the QR code's link, the
    trust page moving on by itself once the CA is trusted, and the confirmation tap."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    url = station.pairing_url(role, name or f"Test {role}")
    page.goto(url)
    page.wait_for_url(station.https + "/pair/*")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{station.https}/{'kiosk' if role == 'kiosk' else 'staff'}/")
    page.close()
    return context

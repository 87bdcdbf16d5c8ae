"""Tablets find the station by name: `<name>.local` announced over mDNS, and its certificate valid for
that name. Multicast must not leave this machine, so the station and the "tablet" (a zeroconf lookup
and a TLS handshake) run in a network namespace made for the test, on a virtual network cable (veth)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.browser import ROOT, free_port

ADDRESS = "198.51.100.7"        # TEST-NET-2, inside the namespace only

# Runs inside the namespace as the tablet: find the service, resolve its host name, shake hands by name.
TABLET = r"""
import json, socket, ssl, sys, time
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf
address, ca_file = sys.argv[1], sys.argv[2]
zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
found = []
class Listener:
    def add_service(self, zc, kind, name): found.append(name)
    def update_service(self, zc, kind, name): pass
    def remove_service(self, zc, kind, name): pass
browser = ServiceBrowser(zc, "_https._tcp.local.", Listener())
deadline = time.monotonic() + 20
while not found and time.monotonic() < deadline:
    time.sleep(0.1)
info = zc.get_service_info("_https._tcp.local.", found[0], timeout=5000)
host = info.server.rstrip(".")
context = ssl.create_default_context(cafile=ca_file)
with socket.create_connection((info.parsed_addresses()[0], info.port), timeout=10) as raw:
    with context.wrap_socket(raw, server_hostname=host) as tls:   # checks the certificate and the name
        verified = tls.server_hostname
print(json.dumps({"service": found[0], "host": host, "address": info.parsed_addresses()[0], "port": info.port,
                  "verified_for": verified}))
zc.close()
"""


@pytest.fixture
def namespace():
    name = f"loytest{os.getpid()}"
    run = ["ip", "netns", "exec", name]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (["ip", "link", "set", "lo", "up"],
                        ["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
                        ["ip", "link", "set", "lan1", "up"], ["ip", "link", "set", "lan0", "multicast", "on", "up"],
                        ["ip", "addr", "add", f"{ADDRESS}/24", "dev", "lan0"],
                        ["ip", "route", "add", "default", "dev", "lan0"]):
            subprocess.run(run + command, check=True)
        yield run
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_tablets_find_the_station_by_its_local_name(namespace, tmp_path):
    env = {**os.environ, "LOYALTY_HOME": str(tmp_path), "LOYALTY_NETWORK": "clinic", "LOYALTY_MDNS": "praxis-test",
           "LOYALTY_PORT": str(free_port()), "LOYALTY_HTTPS_PORT": str(free_port())}
    env.pop("LOYALTY_DB", None)
    env.pop("LOYALTY_ADDRESS", None)                 # found from the namespace's default route
    subprocess.run([sys.executable, "-m", "station.cli", "demo", "--members", "1"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    log = open(tmp_path / "station.log", "w")
    station = subprocess.Popen(namespace + [sys.executable, "-m", "station.cli", "run", "--apps", "kiosk"], env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Tablets:" not in (tmp_path / "station.log").read_text() and time.monotonic() < deadline:
            assert station.poll() is None, (tmp_path / "station.log").read_text()
            time.sleep(0.2)
        printed = (tmp_path / "station.log").read_text()
        assert f"https://{ADDRESS}:{env['LOYALTY_HTTPS_PORT']}/  oder  https://praxis-test.local:" in printed
        tablet = subprocess.run(namespace + [sys.executable, "-c", TABLET, ADDRESS, str(tmp_path / "tls" /
                                                                                      "station-ca.crt")],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert tablet.returncode == 0, tablet.stderr
        seen = json.loads(tablet.stdout)
        assert seen["host"] == "praxis-test.local" and seen["address"] == ADDRESS
        assert seen["port"] == int(env["LOYALTY_HTTPS_PORT"]) and seen["verified_for"] == "praxis-test.local"
    finally:
        station.terminate()
        station.wait(timeout=20)
        log.close()

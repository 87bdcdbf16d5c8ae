"""What the clinic network costs a tablet: `python -m bench.network`.

Times, on a real station process in clinic mode on this machine's own non-loopback address:
the gate's device check alone (a cookie looked up in SQLite), a page load of the kiosk's index
on a kept-alive connection over plain HTTP from the station PC and over HTTPS as a paired tablet
(gate and TLS), and a new HTTPS connection per request (TLS handshake included), as a tablet
waking from sleep makes. Medians and p95 in milliseconds.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests

from loyalty.services import devices
from loyalty.store import close_database, open_database
from tests.lan import clinic_station, machine_address


def timed(call, runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def row(label: str, spent: list[float]) -> str:
    ordered = sorted(spent)
    return (f"| {label:<46} | {statistics.median(ordered):8.3f} | {ordered[int(len(ordered) * 0.95) - 1]:8.3f} |"
            f" {len(ordered):5} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, machine_address() as address:
        home = Path(folder)
        with clinic_station(home, address, apps="kiosk") as station:
            paired = station.pairing_url("kiosk", "Bench tablet").rsplit("/", 1)[1]
            open_database(home / "loyalty.db")
            try:
                credential = devices.pair_device(paired).credential
                check = timed(lambda: devices.device_for(credential), args.runs * 10)
            finally:
                close_database()
            local = requests.Session()
            tablet = requests.Session()
            tablet.verify = str(station.ca_file)
            tablet.trust_env = False     # else REQUESTS_CA_BUNDLE, where set, takes the place of `verify`
            tablet.cookies.set("loyalty_device", credential)

            def fresh() -> None:
                with requests.Session() as once:
                    once.get(station.https + "/kiosk/", verify=str(station.ca_file),
                             cookies={"loyalty_device": credential}).raise_for_status()

            for session, base in ((local, station.local), (tablet, station.https)):
                session.get(base + "/kiosk/").raise_for_status()     # connect before timing
            rows = [row("gate: device check (SQLite)", check),
                    row("kiosk index, HTTP from the station PC", timed(
                        lambda: local.get(station.local + "/kiosk/").raise_for_status(), args.runs)),
                    row("kiosk index, HTTPS as a paired tablet", timed(
                        lambda: tablet.get(station.https + "/kiosk/").raise_for_status(), args.runs)),
                    row("kiosk index, HTTPS, new connection each time", timed(fresh, args.runs // 3))]
    print("| what                                           |   median |      p95 |  runs |")
    print("|------------------------------------------------|----------|----------|-------|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

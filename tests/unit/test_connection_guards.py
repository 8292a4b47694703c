"""The per-address connection cap's arithmetic: each worker's share, trusted proxies exempt,
each connection given back once."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from adda_dashboard.connection_guards import AddressCap, per_worker

INET = socket.AF_INET


@pytest.mark.parametrize(
    ("cap", "workers", "share"), [(256, 2, 128), (256, 3, 86), (5, 8, 1), (1, 1, 1)]
)
def test_each_worker_allows_its_share_of_the_cap_rounded_up(
    cap: int, workers: int, share: int
) -> None:
    assert per_worker(cap, workers) == share


def test_an_address_past_the_cap_is_refused_until_one_of_its_connections_closes() -> None:
    cap = AddressCap(2)
    first, second = cap.admit(INET, ("10.0.0.5", 1)), cap.admit(INET, ("10.0.0.5", 2))
    assert first is not None and second is not None
    assert cap.admit(INET, ("10.0.0.5", 3)) is None
    assert cap.admit(INET, ("10.0.0.6", 1)) is not None  # another address has its own count
    first()
    first()  # a second notice of the same close gives nothing back twice
    assert cap.open["10.0.0.5"] == 1
    assert cap.admit(INET, ("10.0.0.5", 4)) is not None
    assert cap.admit(INET, ("10.0.0.5", 5)) is None


def test_trusted_proxies_and_unix_sockets_are_not_capped() -> None:
    cap = AddressCap(1, [ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("::1/128")])
    for port in range(5):
        assert cap.admit(INET, ("10.1.2.3", port)) is not None
        assert cap.admit(socket.AF_INET6, ("::ffff:10.1.2.3", port, 0, 0)) is not None
        assert cap.admit(socket.AF_INET6, ("::1", port, 0, 0)) is not None
        assert cap.admit(socket.AF_UNIX, "") is not None
    assert cap.open == {}
    assert cap.admit(INET, ("10.2.0.1", 1)) is not None
    assert cap.admit(INET, ("10.2.0.1", 2)) is None

"""The SSRF guard of every call out: which addresses Plum may connect to, and the URL check at save time.

A host whose addresses include one that is loopback, private, link-local (cloud metadata), CGNAT, multicast,
reserved or unspecified (IPv4-mapped, 6to4 and Teredo IPv6 included) is refused, unless the address is
inside OUTBOUND_ALLOWED_NETWORKS (PLUM_OUTBOUND_ALLOWED_NETWORKS, CIDRs). The client (integrations.outbound)
applies it again inside each connection, on the address actually connected to.
"""

import ipaddress
import socket
from functools import lru_cache

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SCHEMES = ("http", "https")
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data.ec2.internal"})
# CGNAT (shared address space): not "private" for Python 3.11's ipaddress, and clouds put services there
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
# Not "private" to Python 3.11, yet never a public receiver: IETF protocol assignments (Oracle Cloud's
# metadata answers at 192.0.0.192) and IPv6 site-local (deprecated, still routed inside some networks).
_ALSO_REFUSED = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("fec0::/10"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(Exception):
    """The SSRF guard refused the URL or an address it resolves to (error code url_not_allowed)."""


class OutboundFailed(Exception):
    """The call did not get an answer: network error, timeout, answer too large (the message says which)."""


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """settings.OUTBOUND_ALLOWED_NETWORKS parsed; ImproperlyConfigured names an entry that is not a CIDR."""
    return _parse_networks(
        tuple(str(entry).strip() for entry in settings.OUTBOUND_ALLOWED_NETWORKS if str(entry).strip())
    )


def check_allowed_networks(app_configs=None, **kwargs) -> list:
    """A Django system check (register it in an AppConfig.ready): the setting's entries are CIDRs."""
    from django.core import checks

    try:
        allowed_networks()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="integrations.E001")]
    return []


@lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"PLUM_OUTBOUND_ALLOWED_NETWORKS: {entry!r} is not a network in CIDR notation (10.0.0.0/8, fd00::/8)."
            ) from None
    return tuple(networks)


def refusal(address: str) -> str | None:
    """Why an address may not be called ("loopback", "private", ...), or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id (fe80::1%eth0) names no other host
    candidates = _judged(ip)
    networks = allowed_networks()
    if any(address in network for address in candidates for network in networks if address.version == network.version):
        return None
    for candidate in candidates:
        if reason := _special(candidate):
            return reason
    return None


def _judged(ip: IPAddress) -> list[IPAddress]:
    """The addresses that decide: an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is its IPv4 address; a
    6to4 or Teredo address is judged with the IPv4 address it carries too (NAT64 is not global: refused)."""
    if ip.version != 6:
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    embedded = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    return [ip, *(address for address in embedded if address is not None)]


def _special(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (cloud metadata lives there)"
    if ip.is_multicast:
        return "multicast"
    if ip.version == 4 and ip in _SHARED_ADDRESS_SPACE:
        return "shared address space (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global or any(ip in network for network in _ALSO_REFUSED):
        return "reserved"
    return None


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo's TCP entries for host (an IP literal resolves to itself)."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundFailed(f"{host} does not resolve ({exc})") from None


def checked_addresses(host: str, port: int) -> list[tuple]:
    """The addresses of host, all of them allowed, or OutboundRefused naming one that is not."""
    name = host.rstrip(".").lower()
    if name in METADATA_NAMES:
        raise OutboundRefused(f"{host} is a cloud metadata service")
    entries = resolve(host, port)
    if not entries:
        raise OutboundFailed(f"{host} does not resolve")
    for *_, sockaddr in entries:
        if reason := refusal(sockaddr[0]):
            where = host if _is_literal(host) else f"{host} resolves to {sockaddr[0]}, which"
            raise OutboundRefused(f"{where} is {reason}; PLUM_OUTBOUND_ALLOWED_NETWORKS can allow it")
    return entries


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_url(url: str) -> None:
    """Refuse (OutboundRefused) a URL Plum may not call: not http(s), no host, or a host that resolves,
    now, to an address the guard refuses. A host that does not resolve is refused too."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused(f"not a valid URL ({exc})") from None
    if parsed.scheme not in SCHEMES:
        raise OutboundRefused("only http and https URLs may be called")
    if not parsed.host:
        raise OutboundRefused("the URL has no host")
    try:
        checked_addresses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except OutboundFailed as exc:
        raise OutboundRefused(str(exc)) from None

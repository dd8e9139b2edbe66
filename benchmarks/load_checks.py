"""What `benchmarks.load` checks once the load has stopped: the batches, the books, the stock, and that
neither organisation saw or touched the other's data. Each check answers a list of problems (empty: passed)."""

import requests


def batch_problems(documents: list[dict]) -> list[str]:
    problems = []
    for d in documents:
        if d.get("status") != "completed" or d.get("credited") != d.get("total"):
            problems.append(
                f"batch {d.get('batch_id', d)}: {d.get('status')}, {d.get('credited')} of {d.get('total')} credited"
                f", errors {d.get('errors', [])[:2]}"
            )
    return problems


def ledger_problems(organisation_ids: list[str]) -> list[str]:
    from points.services import ledger_reconcile

    return [
        f"ledger: account {i.account_id} caches {i.cached_balance}, its {i.kind} sum to {i.computed_balance}"
        for i in ledger_reconcile()
        if str(i.organisation_id) in organisation_ids
    ]


def stock_problems(organisation_ids: list[str]) -> list[str]:
    from vouchers.services import stock_reconcile

    return [
        f"stock: code {m.stock_code_id} of product {m.product_id} is {m.status} with {m.live_vouchers} live vouchers"
        for m in stock_reconcile()
        if str(m.organisation_id) in organisation_ids
    ]


def credit_problems(org: dict, answered: dict) -> list[str]:
    """Every credit answered 201 is in the books once, and nothing else was credited under the user's
    request_ids (a credit whose answer was lost, a timeout, is counted among the attempts)."""
    from points.models import PointsRequest

    credited = PointsRequest.objects.filter(
        organisation_id=org["id"], status="credited", request_id__regex=rf"^{org['prefix']}-u[0-9]+-c-"
    ).count()
    if not answered["credited"] <= credited <= answered["credit_attempts"]:
        return [
            f"{org['slug']}: {credited} single credits in the books, {answered['credited']} answered 201"
            f" of {answered['credit_attempts']} sent"
        ]
    return []


def isolation_problems(base_url: str, orgs: list[dict]) -> list[str]:
    """Rows of one organisation never point at the other's; one organisation's token reads nothing of the
    other's (404) and cannot redeem its codes."""
    from points.models import LedgerEntry, PointsRequest
    from vouchers.models import Voucher

    problems = []
    for org, other in (orgs, orgs[::-1]):
        foreign = PointsRequest.objects.filter(organisation_id=org["id"], request_id__startswith=other["prefix"] + "-")
        if foreign.exists():
            problems.append(f"{org['slug']} holds {foreign.count()} points requests sent with {other['slug']}'s token")
        crossing = LedgerEntry.objects.filter(transaction__organisation_id=org["id"]).exclude(
            account__organisation_id=org["id"]
        )
        if crossing.exists():
            problems.append(f"{org['slug']}: {crossing.count()} ledger entries on another organisation's accounts")
        vouchers = Voucher.objects.filter(organisation_id=org["id"])
        if vouchers.exclude(stock_code__isnull=True).exclude(stock_code__organisation_id=org["id"]).exists():
            problems.append(f"{org['slug']}: vouchers holding another organisation's stock codes")
        problems += _probe(base_url, org, other)
    return problems


def _probe(base_url: str, org: dict, other: dict) -> list[str]:
    from points.models import PointsRequest

    theirs = PointsRequest.objects.filter(organisation_id=other["id"]).values_list("id", flat=True).first()
    headers = {"Authorization": f"Bearer {org['token']}"}
    problems = []
    answer = requests.get(f"{base_url}/api/v1/points/requests/{theirs}/", headers=headers, timeout=30)
    if answer.status_code != 404:
        problems.append(f"{org['slug']} read {other['slug']}'s points request: HTTP {answer.status_code}")
    for code in other.get("unredeemed", [])[:1]:
        answer = requests.post(f"{base_url}/api/v1/vouchers/redeem/", json={"code": code}, headers=headers, timeout=30)
        if answer.status_code != 404:
            problems.append(f"{org['slug']} redeeming {other['slug']}'s code: HTTP {answer.status_code} {answer.text}")
    return problems

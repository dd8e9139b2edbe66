"""The world of `benchmarks.load`: two organisations made by the project's own `plum_demo` command (employees,
an API client, the DEMO programme with 10,000,000 points, a voucher catalogue), more stock imported by
`vouchers.services.stock_import`, and, once the server runs, every wallet funded by a points batch over
REST (as an integrator would) and a token per organisation from /oauth/token/."""

import base64
import io
import json
import secrets
import time
import uuid

import requests

# Under the DEMO programme's approval threshold (5,000), so credited at once; two per employee.
FUNDING_POINTS = 4_900
FUNDING_CREDITS = 2
ORDER_PRODUCTS = (
    # (brand, denomination, funding): a generated code paid from the wallet, a stock code paid by the budget
    ("Plum", 500, "points"),
    ("Northwind Books", 10, "programme"),
)
SCOPES = "employees:read points:read points:write vouchers:read vouchers:write"


def voucher_key() -> str:
    """A fresh PLUM_VOUCHER_KEY (32 random bytes, URL-safe base64) for a run that has none."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def organisations_create(run: str, employees: int, stock: int) -> list[dict]:
    return [_organisation(f"load-{run}-{letter}", employees, stock) for letter in "ab"]


def _organisation(slug: str, employees: int, stock: int) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("plum_demo", organisation=slug, employees=employees, json=True, stdout=out)
    demo = json.loads(out.getvalue().strip().splitlines()[-1])
    products = []
    for brand, denomination, funding in ORDER_PRODUCTS:
        product = next(p for p in demo["products"] if p["brand"] == brand)
        if product["source"] == "stock":
            _stock_add(demo["organisation_id"], product["id"], denomination, stock)
        products.append({"id": product["id"], "denomination": denomination, "funding": funding})
    return {
        "slug": slug,
        "id": demo["organisation_id"],
        "prefix": slug,  # every request_id, order_id and batch_id of this organisation starts with it
        "client_id": demo["client_id"],
        "client_secret": demo["client_secret"],
        "employees": demo["employee_ids"],
        "programme": "DEMO",
        "products": products,
    }


def _stock_add(organisation_id: str, product_id: str, denomination: int, count: int) -> None:
    from plum.core.actor import Actor
    from vouchers import services as vouchers_services
    from vouchers.commands import StockFileImport

    rows = "".join(f"LOAD-{secrets.token_hex(8).upper()},,{denomination},\n" for _ in range(count))
    content = f"code,pin,denomination,expires_at\n{rows}".encode()
    record = vouchers_services.stock_import(
        actor=Actor.system(uuid.UUID(organisation_id), label="benchmarks.load"),
        command=StockFileImport(product_id=product_id, content=content, filename="load.csv"),
    )
    if record.status != "imported":
        raise SystemExit(f"stock import refused: {record.errors[:3]}")


def token(base_url: str, org: dict) -> str:
    """One token per organisation, shared by its users: the token endpoint's own rate limit (30 a minute
    per client by default) is meant for clients that keep their token, as a real integration does."""
    basic = base64.b64encode(f"{org['client_id']}:{org['client_secret']}".encode()).decode()
    answer = requests.post(
        f"{base_url}/oauth/token/",
        data={"grant_type": "client_credentials", "scope": SCOPES},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def wallets_fund(base_url: str, org: dict) -> str:
    """Submit one batch crediting every employee; answers its REST id."""
    items = [
        {"request_id": f"{org['prefix']}-fund-{n}-{e}", "employee_id": e, "points": FUNDING_POINTS, "programme": "DEMO"}
        for e in org["employees"]
        for n in range(FUNDING_CREDITS)
    ]
    answer = requests.post(
        f"{base_url}/api/v1/points/batches/",
        json={"batch_id": f"{org['prefix']}-fund", "requests": items},
        headers=_auth(org),
        timeout=120,
    )
    if answer.status_code != 202:
        raise SystemExit(f"funding batch answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()["id"]


def batches_wait(base_url: str, org: dict, batch_ids: list[str], timeout: float) -> list[dict]:
    """Poll every batch until it is completed or failed (or the time is up): answers their last documents."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict] = {}
    with requests.Session() as session:
        session.headers.update(_auth(org))
        while True:
            for batch_id in batch_ids:
                if batch_id not in done:
                    document = session.get(f"{base_url}/api/v1/points/batches/{batch_id}/", timeout=30).json()
                    if document.get("status") in ("completed", "failed") or time.monotonic() > deadline:
                        done[batch_id] = document
            if len(done) == len(batch_ids):
                return list(done.values())
            time.sleep(1)


def _auth(org: dict) -> dict:
    return {"Authorization": f"Bearer {org['token']}"}

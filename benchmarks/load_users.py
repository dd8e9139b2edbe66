"""The users of `benchmarks.load`: a locustfile, run by `locust -f` in its own process (locust patches the
standard library with gevent, which the Django process preparing the run must not have).

It reads the run's organisations from the JSON file named by PLUM_LOAD_CONFIG and, when locust quits,
writes what the harness checks to PLUM_LOAD_REPORT: locust's figures per kind of request, every status
code seen, samples of failed exchanges, and per organisation the batches submitted, the credits answered
201 and a few codes left unredeemed (for the harness's cross-tenant probes)."""

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

CONFIG = json.loads(Path(os.environ["PLUM_LOAD_CONFIG"]).read_text()) if os.environ.get("PLUM_LOAD_CONFIG") else None
BATCH_ITEMS = 50
FAILURE_SAMPLES = 20

EMPLOYEES_QUERY = """query Employees($offset: Int) {
  employees(first: 20, offset: $offset) { edges { node { employeeId email wallet { balance } } } }
}"""
REQUESTS_QUERY = """query Requests($employeeId: String) {
  pointsRequests(first: 20, employeeId: $employeeId) { edges { node { requestId status points employeeId } } }
}"""

statuses: dict[str, Counter] = defaultdict(Counter)
failures: list[dict] = []
per_organisation: dict[str, dict] = defaultdict(
    lambda: {"credited": 0, "credit_attempts": 0, "orders": 0, "redeemed": 0, "batches": [], "unredeemed": []}
)


class PlumUser(FastHttpUser):
    """One person's integration calling Plum: every call under its organisation's token."""

    abstract = True
    organisation: dict  # from the run's config (set on each organisation's subclass)
    wait_time = None  # set from the config below

    def on_start(self):
        org = self.organisation
        self.sequence = itertools.count()
        self.user_key = f"{org['prefix']}-u{next(org['_users'])}"
        self.headers = {"Authorization": f"Bearer {org['token']}", "Content-Type": "application/json"}
        self.codes: list[str] = []
        self.answered_at = time.monotonic()
        self.tally = per_organisation[org["slug"]]

    def _reference(self, kind: str) -> str:
        return f"{self.user_key}-{kind}-{next(self.sequence)}"

    def _employee(self) -> str:
        return random.choice(self.organisation["employees"])

    def _call(self, kind: str, path: str, body: dict, expected: tuple[int, ...], check=None):
        """POST `body`; anything but an expected status (or a failed `check` of the answer) is a failure."""
        idle = time.monotonic() - self.answered_at  # how long this user's connection sat unused before the call
        with self.client.post(path, json=body, headers=self.headers, name=kind, catch_response=True) as response:
            self.answered_at = time.monotonic()
            statuses[kind][response.status_code] += 1
            problem = None
            if response.status_code not in expected:
                problem = f"HTTP {response.status_code}" + (f" {response.error!r}" if response.error else "")
            else:
                try:
                    document = response.json()
                    problem = check(document) if check else None
                except ValueError:
                    problem, document = "answer is not JSON", None
            if problem is None:
                response.success()
                return document
            response.failure(problem)
            if len(failures) < FAILURE_SAMPLES:
                failures.append(
                    {
                        "kind": kind,
                        "problem": problem,
                        "request": {"path": path, "body": _trimmed(body)},
                        "status": response.status_code,
                        "idle_seconds_before": round(idle, 2),
                        "answer": (response.text or "")[:1000],
                    }
                )
            return None

    @task(40)
    def credit(self):
        body = {
            "request_id": self._reference("c"),
            "employee_id": self._employee(),
            "points": random.randint(1, 100),
            "programme": self.organisation["programme"],
            "reason": "load test",
        }
        self.tally["credit_attempts"] += 1
        if self._call("credit", "/api/v1/points/requests/", body, (201,), _credited) is not None:
            self.tally["credited"] += 1

    @task(15)
    def graphql_employees(self):
        domain = f"@{self.organisation['slug']}.example"
        variables = {"offset": random.randrange(max(len(self.organisation["employees"]) - 20, 1))}

        def check(document):
            if document.get("errors"):
                return f"GraphQL errors: {document['errors'][:2]}"
            edges = document["data"]["employees"]["edges"]
            if not edges:
                return "no employees"
            if any(not e["node"]["email"].endswith(domain) for e in edges):
                return "cross-tenant: an employee of another organisation"
            return None

        self._call("graphql employees", "/graphql/", {"query": EMPLOYEES_QUERY, "variables": variables}, (200,), check)

    @task(15)
    def graphql_points_requests(self):
        prefix = self.organisation["prefix"]
        variables = {"employeeId": self._employee()}

        def check(document):
            if document.get("errors"):
                return f"GraphQL errors: {document['errors'][:2]}"
            edges = document["data"]["pointsRequests"]["edges"]
            if any(not e["node"]["requestId"].startswith(prefix) for e in edges):
                return "cross-tenant: a request of another organisation"
            return None

        body = {"query": REQUESTS_QUERY, "variables": variables}
        self._call("graphql points requests", "/graphql/", body, (200,), check)

    @task(15)
    def order(self):
        """Alternately a generated code paid from the employee's wallet and a stock code paid by the budget."""
        org = self.organisation
        product = random.choice(org["products"])
        body = {
            "order_id": self._reference("o"),
            "employee_id": self._employee(),
            "product_id": product["id"],
            "denomination": product["denomination"],
            "quantity": 1,
            "funding": product["funding"],
        }
        if product["funding"] == "programme":
            body["programme"] = org["programme"]
        document = self._call("order", "/api/v1/vouchers/orders/", body, (201,), _issued)
        if document is not None:
            self.tally["orders"] += 1
            self.codes.extend(v["code"] for v in document["vouchers"])

    @task(10)
    def redeem(self):
        """Redeem a voucher this user was issued; with none left, order one first (counted as an order)."""
        if not self.codes:
            self.order()
            return
        code = self.codes.pop()
        if self._call("redeem", "/api/v1/vouchers/redeem/", {"code": code}, (200,), _redeemed) is not None:
            self.tally["redeemed"] += 1

    @task(5)
    def batch(self):
        batch_id = self._reference("b")
        requests = [
            {
                "request_id": f"{batch_id}-{n}",
                "employee_id": self._employee(),
                "points": random.randint(1, 100),
                "programme": self.organisation["programme"],
            }
            for n in range(BATCH_ITEMS)
        ]
        document = self._call("batch", "/api/v1/points/batches/", {"batch_id": batch_id, "requests": requests}, (202,))
        if document is not None:
            self.tally["batches"].append(document["id"])

    def on_stop(self):
        leftover = self.tally["unredeemed"]
        leftover.extend(self.codes[: max(0, 3 - len(leftover))])


def _credited(document) -> str | None:
    return None if document.get("status") == "credited" else f"status {document.get('status')}"


def _issued(document) -> str | None:
    return None if document.get("vouchers") else "no vouchers in the order"


def _redeemed(document) -> str | None:
    return None if document.get("status") == "redeemed" else f"status {document.get('status')}"


def _trimmed(body: dict) -> dict:
    if "requests" in body:
        return {**body, "requests": [*body["requests"][:2], f"… {len(body['requests']) - 2} more"]}
    return body


def _user_classes() -> None:
    """One user class per organisation, equal weights: locust splits the users evenly between them."""
    low, high = CONFIG["think_seconds"]
    from locust import between

    for n, org in enumerate(CONFIG["organisations"]):
        org["_users"] = itertools.count()
        name = f"Organisation{n}User"
        globals()[name] = type(name, (PlumUser,), {"organisation": org, "wait_time": between(low, high)})


def _stats(entry) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "requests_per_second": entry.total_rps,
        "average_ms": entry.avg_response_time,
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": entry.max_response_time,
    }


@events.quitting.add_listener
def _write_report(environment, **_):
    if not os.environ.get("PLUM_LOAD_REPORT"):
        return
    stats = environment.stats
    report = {
        "kinds": {name: _stats(entry) for (name, _method), entry in sorted(stats.entries.items())},
        "total": _stats(stats.total),
        "statuses": {kind: {str(code): n for code, n in counts.items()} for kind, counts in statuses.items()},
        "failure_samples": failures,
        "organisations": per_organisation,
    }
    with open(os.environ["PLUM_LOAD_REPORT"], "w") as out:
        json.dump(report, out, indent=2)


if CONFIG is not None:
    _user_classes()

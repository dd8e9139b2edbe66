"""SAP SuccessFactors OData v2, faked."""

import base64
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug import Request, Response

from integrations.hrms.tests.fakes.common import FakeVendor, _alpha3, _ms, _with_vendor_fields

# --- SAP SuccessFactors OData v2 ------------------------------------------------------------------

_SF_ALL_STATUSES = re.compile(r"status in\s+'t',\s*'f'", re.I)
_SF_MODIFIED_SINCE = re.compile(r"lastModifiedDateTime gt datetime'([0-9T:.-]+)'")
_OPEN_END = "/Date(253402214400000)/"  # 9999-12-31: an effective-dated record with no end


@dataclass
class FakeSuccessFactors(FakeVendor):
    """GET /odata/v2/User?$format=json&$select&$expand=empInfo/jobInfoNav&$filter&paging=snapshot
    &customPageSize: Users with empInfo (EmpEmployment) and its effective EmpJob, `__next` pages of
    min(customPageSize, page_size). Like SuccessFactors, inactive users come only when $filter asks for
    `status in 't','f',...`; `lastModifiedDateTime gt datetime'...'` is honoured; $select prunes.
    Basic auth is `username@company_id`; /oauth/token grants client credentials.
    `next_host` writes another host into `__next` (a vendor module must refuse to follow it)."""

    company_id: str = "ACME"
    next_host: str | None = None
    provider = "successfactors"

    def __post_init__(self):
        super().__post_init__()
        self._cache: dict[int, tuple[dict, str, str]] = {}

    def settings(self) -> dict:
        return {"company_id": self.company_id}

    def basic_user(self) -> str:
        return f"{self.username}@{self.company_id}:{self.password}"

    def error(self, status, message, headers=None):
        body = {"error": {"code": f"COE_{status}", "message": {"lang": "en-US", "value": message}}}
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    def _window(self, request: Request) -> tuple[int, int]:
        token = request.args.get("$skiptoken")
        if token:
            state = json.loads(base64.urlsafe_b64decode(token))
            return state["start"], state["size"]
        return 0, min(int(request.args.get("customPageSize", 1000)), self.page_size)

    def page_of(self, request, received):
        if request.path != self.prefix + "/odata/v2/User" or request.method != "GET":
            return None
        start, size = self._window(request)
        return start // size + 1

    def selected(self, request: Request) -> list[dict]:
        query = request.args.get("$filter", "")
        people = self.people if _SF_ALL_STATUSES.search(query) else [p for p in self.people if p["status"] == "active"]
        if since := _SF_MODIFIED_SINCE.search(query):
            people = [p for p in people if p["last_modified"] > since.group(1)]
        return people

    def page_body(self, request, received):
        start, size = self._window(request)
        people = self.selected(request)
        select = request.args.get("$select", "")
        results = ", ".join(self._rendered(p, select) for p in people[start : start + size])
        following = ""
        if start + size < len(people):
            query = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            token = base64.urlsafe_b64encode(json.dumps({"start": start + size, "size": size}).encode()).decode()
            query["$skiptoken"] = token
            host = self.next_host or "127.0.0.1"
            url = f"http://{host}:{self.server.port}{request.path}?" + urlencode(query, safe="$,/'")
            following = f", {json.dumps('__next')}: {json.dumps(url)}"
        return f'{{"d": {{"results": [{results}]{following}}}}}'.encode()

    def _rendered(self, person: dict, select: str) -> str:
        """The person's User as JSON text, kept while the person is unchanged: a second pull of 100,000
        people (a benchmark's measured run after its warm-up) costs the fake almost nothing."""
        cached = self._cache.get(id(person))
        if cached and cached[0] == person and cached[1] == select:
            return cached[2]
        text = json.dumps(_pruned(self.user(person), [path for path in select.split(",") if path]))
        self._cache[id(person)] = ({**person, "vendor_fields": dict(person["vendor_fields"])}, select, text)
        return text

    def user(self, p: dict) -> dict:
        uri = f"{self.base_url}/odata/v2"
        job = {
            "__metadata": {"uri": f"{uri}/EmpJob(seqNumber=1L,userId='{p['employee_id']}')", "type": "SFOData.EmpJob"},
            "userId": p["employee_id"],
            "seqNumber": "1",
            "startDate": _ms(p["hire_date"]),
            "endDate": _OPEN_END,
            "department": p["department"],
            "division": p["division"],
            "businessUnit": p["business_unit"],
            "location": p["location"],
            "costCenter": p["cost_centre"],
            "managerId": p["manager"] or "NO_MANAGER",
            "emplStatus": "6021" if p["status"] == "active" else "6025",  # picklist option ids
            "countryOfCompany": _alpha3(p["country"]),
            "jobTitle": p["role"],
        }
        employment = {
            "__metadata": {"uri": f"{uri}/EmpEmployment(personIdExternal='{p['employee_id']}')"},
            "personIdExternal": p["employee_id"],
            "userId": p["employee_id"],
            "startDate": _ms(p["hire_date"]),
            "endDate": _ms(p["exit_date"]),
            "lastDateWorked": _ms(p["exit_date"]),
            "jobInfoNav": {"results": [job]},
        }
        user = {
            "__metadata": {"uri": f"{uri}/User('{p['employee_id']}')", "type": "SFOData.User"},
            "userId": p["employee_id"],
            "username": p["employee_id"].lower(),
            "firstName": p["first_name"],
            "lastName": p["last_name"],
            "email": p["email"],
            "status": p["status"],
            "hireDate": _ms(p["hire_date"]),
            "lastModifiedDateTime": _ms(p["last_modified"], "+0000"),
            "empInfo": employment,
        }
        return _with_vendor_fields(user, p)


def _pruned(record: dict, select: list[str]) -> dict:
    """The record with only the $select-ed properties (slash paths through navigations) and __metadata."""
    if not select:
        return record
    kept = {"__metadata": record["__metadata"]} if "__metadata" in record else {}
    heads: dict[str, list[str]] = {}
    for path in select:
        head, _, rest = path.partition("/")
        heads.setdefault(head, []).append(rest)
    for head, rests in heads.items():
        value = record.get(head)
        if isinstance(value, dict) and "results" in value:
            kept[head] = {"results": [_pruned(item, [r for r in rests if r]) for item in value["results"]]}
        elif isinstance(value, dict):
            kept[head] = _pruned(value, [r for r in rests if r])
        elif head in record:
            kept[head] = value
    return kept

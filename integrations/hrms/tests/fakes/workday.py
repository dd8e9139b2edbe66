"""Workday, faked: a RaaS custom report and the REST workers collection."""

import base64
import json
from dataclasses import dataclass

from werkzeug import Request

from integrations.hrms.tests.fakes.common import FakeVendor, _alpha3, _with_vendor_fields

# --- Workday ----------------------------------------------------------------------------------------


@dataclass
class FakeWorkdayRaas(FakeVendor):
    """GET /ccx/service/customreport2/{tenant}/{report_owner}/{report_name}?format=json ->
    {"Report_Entry": [...]}: every person, one page, with the columns of the documented default map.
    A `modified_since_prompt` query parameter, when sent, keeps people modified after it."""

    tenant: str = "acme"
    report_owner: str = "ISU_Plum"
    report_name: str = "Plum_Workers"
    modified_since_prompt: str = "Updated_Since"
    provider = "workday"

    def settings(self) -> dict:
        return {"tenant": self.tenant, "report_owner": self.report_owner, "report_name": self.report_name}

    def page_of(self, request, received):
        path = f"{self.prefix}/ccx/service/customreport2/{self.tenant}/{self.report_owner}/{self.report_name}"
        return 1 if request.path == path and request.args.get("format") == "json" else None

    def page_body(self, request, received):
        since = request.args.get(self.modified_since_prompt, "")
        people = [p for p in self.people if p["last_modified"] > since]
        return json.dumps({"Report_Entry": [self.entry(p) for p in people]}).encode()

    def entry(self, p: dict) -> dict:
        row = {
            "Employee_ID": p["employee_id"],
            "Legal_Name_First_Name": p["first_name"],
            "Legal_Name_Last_Name": p["last_name"],
            "Primary_Work_Email": p["email"],
            "Active_Status": "1" if p["status"] == "active" else "0",
            "Business_Title": p["role"],
            "Supervisory_Organization": p["department"],
            "Company_Code": p["business_unit"],
            "Cost_Center_ID": p["cost_centre"],
            "Location_Country": _alpha3(p["country"]),
            "Manager_Employee_ID": p["manager"] or "",
            "Hire_Date": p["hire_date"],
            "Termination_Date": p["exit_date"] or "",
        }
        return _with_vendor_fields(row, p)


@dataclass
class FakeWorkdayWorkers(FakeVendor):
    """GET /ccx/api/v1/{tenant}/workers?limit&offset -> {"total", "data": [workerSummary...]}: active
    workers only (as Workday lists them), pages of min(limit, page_size). OAuth 2.0 at
    /ccx/oauth2/{tenant}/token: refresh_token (Workday's API clients) or client_credentials grants."""

    tenant: str = "acme"
    page_size: int = 100
    refresh_token: str = "s3cret-refresh"
    provider = "workday"

    def __post_init__(self):
        self.token_path = f"/ccx/oauth2/{self.tenant}/token"
        super().__post_init__()

    def settings(self) -> dict:
        return {"tenant": self.tenant, "api": "workers"}

    def credentials(self, oauth: bool = False) -> dict:
        if oauth:
            return super().credentials(True) | {"refresh_token": self.refresh_token}
        return super().credentials(False)

    def grant_ok(self, form):
        if form.get("grant_type") == "refresh_token":
            return form.get("refresh_token") == self.refresh_token
        return super().grant_ok(form)

    def _window(self, request: Request) -> tuple[int, int]:
        return int(request.args.get("offset", 0)), min(int(request.args.get("limit", 20)), self.page_size)

    def page_of(self, request, received):
        if request.path != f"{self.prefix}/ccx/api/v1/{self.tenant}/workers":
            return None
        offset, limit = self._window(request)
        return offset // limit + 1

    def page_body(self, request, received):
        offset, limit = self._window(request)
        active = [p for p in self.people if p["status"] == "active"]
        data = [self.worker(p) for p in active[offset : offset + limit]]
        return json.dumps({"total": len(active), "data": data}).encode()

    def worker(self, p: dict) -> dict:
        wid = base64.b16encode(p["employee_id"].encode()).decode().lower().ljust(32, "0")
        api = f"{self.base_url}/ccx/api/v1/{self.tenant}"
        worker = {
            "id": wid,
            "descriptor": f"{p['first_name']} {p['last_name']}",
            "href": f"{api}/workers/{wid}",
            "workerId": p["employee_id"],
            "primaryWorkEmail": p["email"],
            "businessTitle": p["role"],
            "isManager": p["manager"] is None,
            "primarySupervisoryOrganization": {"descriptor": p["department"], "id": "5b3a", "href": f"{api}/orgs"},
            "workerType": {"descriptor": "Employee", "id": "9f1c"},
        }
        return _with_vendor_fields(worker, p)

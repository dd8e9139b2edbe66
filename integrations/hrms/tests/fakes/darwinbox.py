"""Darwinbox's employee master API, faked."""

import json
from dataclasses import dataclass
from datetime import datetime

from werkzeug import Response

from integrations.hrms.tests.fakes.common import FakeVendor, _country_name, _dmy, _with_vendor_fields

# --- Darwinbox ---------------------------------------------------------------------------------------


@dataclass
class FakeDarwinbox(FakeVendor):
    """POST /masterapi/employee, Basic auth, body {"api_key", "datasetKey", "last_modified"?} ->
    {"status": 1, "employee_data": [...]}: the active dataset (page 1) or the inactive one (page 2, with
    date_of_exit). A wrong api_key or dataset key answers 200 {"status": 0, "message": ...}, as Darwinbox does."""

    api_key: str = "s3cret-api-key"
    dataset_key_active: str = "dsk-active"
    dataset_key_inactive: str = "dsk-inactive"
    provider = "darwinbox"

    def settings(self) -> dict:
        return {"dataset_key_active": self.dataset_key_active, "dataset_key_inactive": self.dataset_key_inactive}

    def credentials(self, oauth: bool = False) -> dict:
        return super().credentials(False) | {"api_key": self.api_key}

    def error(self, status, message, headers=None):
        return Response(json.dumps({"status": 0, "message": message}), status=status, headers=headers)

    def page_of(self, request, received):
        if request.path != self.prefix + "/masterapi/employee" or request.method != "POST":
            return None
        try:
            key = received.json().get("datasetKey")
        except ValueError:
            return None
        return {self.dataset_key_active: 1, self.dataset_key_inactive: 2}.get(key, 0)

    def page_body(self, request, received):
        body = received.json()
        if body.get("api_key") != self.api_key or received.page == 0:
            which = "api_key" if body.get("api_key") != self.api_key else "datasetKey"
            return json.dumps({"status": 0, "message": f"Invalid {which}"}).encode()
        status = "active" if received.page == 1 else "inactive"
        people = [p for p in self.people if p["status"] == status]
        if since := body.get("last_modified"):
            moment = datetime.strptime(since, "%d-%m-%Y %H:%M:%S").isoformat()
            people = [p for p in people if p["last_modified"] > moment]
        return json.dumps({"status": 1, "employee_data": [self.employee(p) for p in people]}).encode()

    def employee(self, p: dict) -> dict:
        modified = datetime.fromisoformat(p["last_modified"]).strftime("%d-%m-%Y %H:%M:%S")
        row = {
            "employee_id": p["employee_id"],
            "first_name": p["first_name"],
            "last_name": p["last_name"],
            "full_name": f"{p['first_name']} {p['last_name']}",
            "company_email_id": p["email"],
            "employee_status": "Active" if p["status"] == "active" else "Inactive",
            "department_name": p["department"],
            "designation_name": p["role"],
            "business_unit": f"Business unit {p['business_unit']}",
            "business_unit_code": p["business_unit"],
            "cost_center_id": p["cost_centre"],
            "office_country": _country_name(p["country"]),
            "direct_manager_employee_id": p["manager"] or "",
            "date_of_joining": _dmy(p["hire_date"]),
            "date_of_exit": _dmy(p["exit_date"]),
            "latest_modified_timestamp": modified,
            "group_company": "Acme Group",
        }
        return _with_vendor_fields(row, p)

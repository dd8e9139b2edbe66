"""Darwinbox's employee master API: two datasets, the active employees then the inactive ones.

    POST {base_url}/masterapi/employee   Basic auth (username, password)
         {"api_key": ..., "datasetKey": ..., "last_modified": "DD-MM-YYYY HH:MM:SS" (incremental runs)}
    -> {"status": 1, "employee_data": [...]}     or {"status": 0, "message": "..."} when Darwinbox refuses

The dataset decides the status: everyone in the inactive dataset is a leaver (exit date from
date_of_exit). Incremental runs ask for what changed since the watermark (the moment the last run began
reading) less 14 hours, so whatever time zone the instance reads it in, nothing is missed; reading a
few unchanged people again changes nothing.
"""

from datetime import datetime, timedelta

from integrations.hrms.vendors.base import ConnectionSpec, FetchFailed, Page, Vendor
from integrations.hrms.vendors.common import Shape, caller, endpoint, now_iso
from integrations.hrms.vendors.mapping import Mapper, merged

NAME = "Darwinbox"
SHAPE = Shape(
    settings=("dataset_key_active", "dataset_key_inactive"), basic=("username", "password", "api_key"), oauth=None
)
LOOKBACK = timedelta(hours=14)
DATASETS = ("active", "inactive")
UNEXPECTED = f'{NAME} answered an unexpected shape (expected {{"status": 1, "employee_data": [...]}}).'


class Darwinbox(Vendor):
    provider = "darwinbox"
    default_field_map = {
        "employee_id": "employee_id",
        "company_email_id": "email",
        "first_name": "first_name",
        "last_name": "last_name",
        "designation_name": "role",
        "department_name": "department",
        "business_unit_code": "business_unit",
        "cost_center_id": "cost_centre",
        "office_country": "country",
        "direct_manager_employee_id": "manager_employee_id",
        "date_of_joining": "hire_date",
        "date_of_exit": "exit_date",
    }

    def validate(self, *, base_url, settings, credentials, field_map):
        errors = SHAPE.errors(base_url=base_url, settings=settings, credentials=credentials, field_map=field_map)
        if isinstance(field_map, dict) and "status" in field_map.values():
            message = "Darwinbox's status comes from the dataset (active or inactive); map no field to status."
            errors.append({"field": "field_map", "code": "invalid", "message": message})
        return errors

    def first_cursor(self, spec: ConnectionSpec) -> dict:
        return {"dataset": DATASETS[0], "started": now_iso()}

    def fetch(self, spec: ConnectionSpec, cursor: dict) -> Page:
        dataset = cursor["dataset"]
        http = caller(NAME, spec, basic_user=spec.credentials.get("username", ""), fix="username and password")
        request = {
            "api_key": spec.credentials.get("api_key", ""),
            "datasetKey": spec.settings[f"dataset_key_{dataset}"],
        }
        if spec.mode == "incremental" and spec.watermark:
            request["last_modified"] = _since(spec.watermark)
        body = http.json("POST", endpoint(spec.base_url, "/masterapi/employee"), json=request)
        if isinstance(body, dict) and str(body.get("status")) != "1":
            message = http.masked(" ".join(str(body.get("message") or "no message").split())[:300])
            raise FetchFailed(
                f"{NAME} refused the {dataset} dataset: {message} "
                f"(check credentials.api_key and settings.dataset_key_{dataset})."
            )
        employees = body.get("employee_data") if isinstance(body, dict) else None
        if isinstance(employees, dict):  # some instances key the records by employee id
            employees = list(employees.values())
        if not isinstance(employees, list):
            raise FetchFailed(UNEXPECTED)
        mapper = Mapper(merged(self.defaults(spec.settings), spec.field_map))
        records, errors = mapper.page(employees, constants={"status": dataset})
        following = DATASETS.index(dataset) + 1
        next_cursor = (
            {"dataset": DATASETS[following], "started": cursor["started"]} if following < len(DATASETS) else None
        )
        return Page(records, errors, next_cursor, cursor["started"])


def _since(watermark: str) -> str:
    try:
        moment = datetime.fromisoformat(watermark)
    except ValueError:
        raise FetchFailed(f"The stored watermark {watermark[:40]!r} is unreadable; run a full sync.") from None
    return (moment.replace(tzinfo=None) - LOOKBACK).strftime("%d-%m-%Y %H:%M:%S")

"""Workday: a RaaS custom report (settings {"tenant", "report_owner", "report_name"}) or the REST
`workers` collection (settings {"tenant", "api": "workers"}).

    GET {base_url}/ccx/service/customreport2/{tenant}/{report_owner}/{report_name}?format=json
    -> {"Report_Entry": [...]}                                   one page; columns are the report's own
    GET {base_url}/ccx/api/v1/{tenant}/workers?limit=100&offset=N
    -> {"total": T, "data": [...]}                               pages until offset reaches total

The workers collection lists active workers only (a full run deactivates whoever is absent) and has
no names apart from `descriptor`, so Plum splits that into `plumName.first` / `plumName.last`. A RaaS
report may take a "modified since" prompt (settings.modified_since_prompt) that incremental runs fill.
The watermark is the moment the run began reading.
"""

from integrations.hrms.vendors.base import ConnectionSpec, FetchFailed, Page, Vendor
from integrations.hrms.vendors.common import Shape, caller, endpoint, now_iso
from integrations.hrms.vendors.mapping import Mapper, merged

NAME = "Workday"
PAGE_SIZE = 100  # the workers collection's maximum
RAAS = Shape(
    settings=("tenant", "report_owner", "report_name"),
    optional_settings=("modified_since_prompt",),
    optional_oauth=("refresh_token",),
)
WORKERS = Shape(settings=("tenant", "api"), optional_oauth=("refresh_token",))
RAAS_FIELDS = {
    "Employee_ID": "employee_id",
    "Primary_Work_Email": "email",
    "Legal_Name_First_Name": "first_name",
    "Legal_Name_Last_Name": "last_name",
    "Active_Status": "status",
    "Business_Title": "role",
    "Supervisory_Organization": "department",
    "Company_Code": "business_unit",
    "Cost_Center_ID": "cost_centre",
    "Location_Country": "country",
    "Manager_Employee_ID": "manager_employee_id",
    "Hire_Date": "hire_date",
    "Termination_Date": "exit_date",
}
WORKER_FIELDS = {
    "workerId": "employee_id",
    "primaryWorkEmail": "email",
    "plumName.first": "first_name",
    "plumName.last": "last_name",
    "businessTitle": "role",
    "primarySupervisoryOrganization.descriptor": "department",
}


class Workday(Vendor):
    provider = "workday"
    default_field_map = RAAS_FIELDS

    def defaults(self, settings: dict) -> dict[str, str]:
        return dict(WORKER_FIELDS if _workers(settings) else RAAS_FIELDS)

    def validate(self, *, base_url, settings, credentials, field_map):
        shape = RAAS
        if isinstance(settings, dict) and "api" in settings:
            shape = WORKERS
            if settings["api"] != "workers":
                return [{"field": "settings", "code": "invalid", "message": 'settings.api can only be "workers".'}]
        return shape.errors(base_url=base_url, settings=settings, credentials=credentials, field_map=field_map)

    def first_cursor(self, spec: ConnectionSpec) -> dict:
        return {"offset": 0, "started": now_iso()}

    def fetch(self, spec: ConnectionSpec, cursor: dict) -> Page:
        http = caller(NAME, spec, basic_user=spec.credentials.get("username", ""), fix="username and password")
        mapper = Mapper(merged(self.defaults(spec.settings), spec.field_map))
        tenant = spec.settings["tenant"]
        if _workers(spec.settings):
            return self._workers_page(spec, cursor, http, mapper, tenant)
        path = f"/ccx/service/customreport2/{tenant}/{spec.settings['report_owner']}/{spec.settings['report_name']}"
        params = {"format": "json"}
        prompt = spec.settings.get("modified_since_prompt")
        if prompt and spec.mode == "incremental" and spec.watermark:
            params[prompt] = spec.watermark
        body = http.json("GET", endpoint(spec.base_url, path), params=params, headers={"Accept": "application/json"})
        rows = body.get("Report_Entry") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise FetchFailed(f'{NAME} answered an unexpected shape (expected {{"Report_Entry": [...]}}).')
        records, errors = mapper.page(rows)
        return Page(records, errors, None, cursor["started"])

    def _workers_page(self, spec, cursor, http, mapper, tenant) -> Page:
        offset = int(cursor["offset"])
        url = endpoint(spec.base_url, f"/ccx/api/v1/{tenant}/workers")
        body = http.json(
            "GET", url, params={"limit": PAGE_SIZE, "offset": offset}, headers={"Accept": "application/json"}
        )
        data = body.get("data") if isinstance(body, dict) else None
        total = body.get("total") if isinstance(body, dict) else None
        if not isinstance(data, list) or not isinstance(total, int) or isinstance(total, bool):
            raise FetchFailed(f'{NAME} answered an unexpected shape (expected {{"total": n, "data": [...]}}).')
        workers = [_with_name_parts(worker) for worker in data]
        constants = {} if "status" in mapper.fields else {"status": "active"}
        records, errors = mapper.page(workers, constants=constants)
        following = offset + len(data)
        more = data and following < total
        next_cursor = {"offset": following, "started": cursor["started"]} if more else None
        return Page(records, errors, next_cursor, cursor["started"])


def _workers(settings: dict) -> bool:
    return isinstance(settings, dict) and settings.get("api") == "workers"


def _with_name_parts(worker):
    """The worker with plumName {"first", "last"} from its descriptor (first word, the rest)."""
    if not isinstance(worker, dict) or not isinstance(worker.get("descriptor"), str):
        return worker
    first, _, last = worker["descriptor"].strip().partition(" ")
    return {**worker, "plumName": {"first": first, "last": last.strip() or first}}

"""SAP SuccessFactors, OData v2: `User` with its employment (`empInfo`) and effective `EmpJob`
(`empInfo/jobInfoNav`, today's record, as SuccessFactors returns effective-dated entities by default).

    GET {base_url}/odata/v2/User?$format=json&$select=...&$expand=empInfo,empInfo/jobInfoNav
        &$filter=status in 't','f','T','F','e','d'[ and lastModifiedDateTime gt datetime'...']
        &paging=snapshot&customPageSize=1000
    -> {"d": {"results": [...], "__next": "<absolute URL of the next page>"}}

Inactive users are listed only because the filter asks for every status (SuccessFactors lists active
ones otherwise); they are the leavers, with empInfo.endDate (or lastDateWorked) as exit date. The
watermark is the highest User.lastModifiedDateTime seen; an incremental run asks for what changed after it.
"""

import re

from integrations.hrms.vendors.base import ConnectionSpec, FetchFailed, Page, Vendor
from integrations.hrms.vendors.common import Shape, caller, endpoint
from integrations.hrms.vendors.http import same_origin
from integrations.hrms.vendors.mapping import Mapper, merged, odata_datetime

NAME = "SuccessFactors"
ALL_STATUSES = "status in 't','f','T','F','e','d'"  # active, inactive, and their external-suite twins
PAGE_SIZE = 1000
WATERMARK_PATH = "lastModifiedDateTime"
SHAPE = Shape(settings=("company_id",))
DEFAULT_EXIT = "empInfo.endDate"
ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


class SuccessFactors(Vendor):
    provider = "successfactors"
    default_field_map = {
        "userId": "employee_id",
        "email": "email",
        "firstName": "first_name",
        "lastName": "last_name",
        "status": "status",
        "empInfo.jobInfoNav.jobTitle": "role",
        "empInfo.jobInfoNav.department": "department",
        "empInfo.jobInfoNav.businessUnit": "business_unit",
        "empInfo.jobInfoNav.costCenter": "cost_centre",
        "empInfo.jobInfoNav.countryOfCompany": "country",
        "empInfo.jobInfoNav.managerId": "manager_employee_id",
        "hireDate": "hire_date",
        DEFAULT_EXIT: "exit_date",
    }
    fallbacks = {"exit_date": "empInfo.lastDateWorked"}  # when the employment's endDate is empty (default map)

    def validate(self, *, base_url, settings, credentials, field_map):
        return SHAPE.errors(base_url=base_url, settings=settings, credentials=credentials, field_map=field_map)

    def first_cursor(self, spec: ConnectionSpec) -> dict:
        return {"next": None}

    def fetch(self, spec: ConnectionSpec, cursor: dict) -> Page:
        field_map = merged(self.defaults(spec.settings), spec.field_map)
        http = caller(
            NAME,
            spec,
            basic_user=f"{spec.credentials.get('username', '')}@{spec.settings['company_id']}",
            fix="username, password and company_id",
            token_form=(("company_id", spec.settings["company_id"]),),
        )
        url, params = cursor.get("next"), None
        if url is None:
            url, params = endpoint(spec.base_url, "/odata/v2/User"), self.query(spec, field_map)
        body = http.json("GET", url, params=params, headers={"Accept": "application/json"})
        data = body.get("d") if isinstance(body, dict) else None
        results = data.get("results") if isinstance(data, dict) else None
        following = data.get("__next") if isinstance(data, dict) else None
        if not isinstance(results, list) or not (following is None or isinstance(following, str)):
            raise FetchFailed(f'{NAME} answered an unexpected shape (expected {{"d": {{"results": [...]}}}}).')
        if following and not same_origin(following, spec.base_url):
            raise FetchFailed(f"{NAME} pointed the next page at another host than base_url; refused to follow it.")
        fallbacks = {name: path for name, path in self.fallbacks.items() if field_map.get(DEFAULT_EXIT) == name}
        records, errors = Mapper(field_map, fallbacks).page(results)
        seen = [odata_datetime(r.get(WATERMARK_PATH)) for r in results if isinstance(r, dict)]
        watermark = max([w for w in seen if w] + ([spec.watermark] if spec.watermark else []), default=None)
        return Page(records, errors, {"next": following} if following else None, watermark)

    def query(self, spec: ConnectionSpec, field_map: dict) -> dict:
        paths = sorted({*field_map, *self.fallbacks.values(), WATERMARK_PATH})
        selects = [path.replace(".", "/") for path in paths]
        navigations = sorted({"/".join(s.split("/")[:depth]) for s in selects for depth in range(1, s.count("/") + 1)})
        condition = ALL_STATUSES
        if spec.mode == "incremental" and spec.watermark:
            if not ISO_SECONDS.fullmatch(spec.watermark):
                raise FetchFailed(f"The stored watermark {spec.watermark[:40]!r} is unreadable; run a full sync.")
            condition += f" and lastModifiedDateTime gt datetime'{spec.watermark}'"
        query = {"$format": "json", "$select": ",".join(selects), "$filter": condition}
        if navigations:
            query["$expand"] = ",".join(navigations)
        return query | {"paging": "snapshot", "customPageSize": str(PAGE_SIZE)}

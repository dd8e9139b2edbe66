"""Plum's URLs plus the base-table baseline of reports_summary, behind the same token check and scope as the
report; used in-process by reports_summary only (override_settings ROOT_URLCONF)."""

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from plum.api.auth import actor_of
from plum.core.scopes import Scope
from plum.urls import urlpatterns as plum_urlpatterns

# pointsSummary(groupBy: [BUSINESS_UNIT, MONTH]) computed from the ledger: wallet entries joined to their
# accounts, transactions, employees and business units, months in the organisation's time zone. The base
# tables only know today's business unit of each employee, so a mover's earlier movements count under
# their current unit here (the report, captured at the time, counts them where they were).
BASE_SQL = """
SELECT bu.code AS business_unit,
       to_char(t.created_at AT TIME ZONE o.time_zone, 'YYYY-MM') AS month,
       COALESCE(SUM(e.amount) FILTER (WHERE t.kind = 'award'), 0)::bigint AS awarded,
       COALESCE(-SUM(e.amount) FILTER (WHERE t.kind = 'reversal'), 0)::bigint AS reversed,
       COALESCE(-SUM(e.amount) FILTER (WHERE t.kind IN ('spend', 'refund')), 0)::bigint AS redeemed,
       COALESCE(-SUM(e.amount) FILTER (WHERE t.kind = 'expiry'), 0)::bigint AS expired,
       COUNT(DISTINCT a.employee_id) FILTER (WHERE t.kind = 'award') AS recipients
FROM points_ledgerentry e
JOIN points_account a ON a.id = e.account_id AND a.kind = 'wallet'
JOIN points_ledgertransaction t ON t.id = e.transaction_id
JOIN users_organisation o ON o.id = t.organisation_id
JOIN users_employee emp ON emp.id = a.employee_id
LEFT JOIN users_businessunit bu ON bu.id = emp.business_unit_id
WHERE a.organisation_id = %s
GROUP BY 1, 2
ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
"""
COLUMNS = ("businessUnit", "month", "awarded", "reversed", "redeemed", "expired", "recipients")


class PointsSummaryBaseView(APIView):
    required_scopes = Scope.REPORTS_READ

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute(BASE_SQL, [actor_of(request).organisation_id])
            rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        return Response({"data": {"pointsSummary": rows}})


urlpatterns = [path("bench/points-summary-base/", PointsSummaryBaseView.as_view()), *plum_urlpatterns]

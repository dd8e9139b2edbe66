"""The ledger history reports_summary reads: one organisation, its business units and employees through the
users services, programmes funded through the points services, then months of awards, spends, reversals and
expiries written month by month as the ledger package writes them (COPY of lots, transactions and entries:
points.ledger.postings.copy_ledger_rows), so the statement triggers on points_ledgerentry (the ledger's
invariants, the reports capture) run as in production, one statement of entries per month.

The history is simulated in Python first, a month at a time, with the ledger's rules: an award opens a lot
and takes its programme's budget from one shard; a spend takes the wallet's unexpired lots first to expire
first (FIFO) into the redemption sink and never overdraws; a reversal takes a whole untouched lot back into
a budget shard; the expiry run on the first of each month moves what is left of lots past their date into
the expiry sink, one transaction per wallet. Every transaction has two entries (a wallet and a budget shard
or sink), so N ledger lines are exactly N / 2 transactions. Balances after each entry, the lots' remaining
points and the accounts' cached balances end as the services would leave them (ledger_reconcile agrees).
Before every month but the first, `movers` employees change business unit (and the cost centre and country
that go with it) by an UPDATE of users_employee, so the reports' business unit "at that moment" differs from
today's for their earlier movements. Not written: points request rows and outbox events (reports read
neither); the top-up comes from the real service and is dated when the benchmark runs.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

COUNTRIES = ("IN", "US", "GB", "DE", "SG")
DEPARTMENTS = ("Engineering", "Sales", "Support", "Finance", "People", "Marketing", "Operations", "Legal")
PROGRAMMES = (("SPOT", 365), ("PEER", 365), ("FEST", 180))  # code, points_validity_days
TIME_ZONE = "Asia/Kolkata"
SHARE_SPEND, SHARE_REVERSAL = 0.22, 0.02  # of each month's transactions other than expiries; awards the rest


@dataclass
class Lot:
    id: str
    wallet: int
    points: int
    expires_at: datetime
    remaining: int
    programme: int  # index in PROGRAMMES


@dataclass
class World:
    organisation_id: str
    employees: list  # employee pk (str) by index
    wallets: list  # wallet account id by employee index
    shards: list  # [[account id, balance], ...] per programme
    redemption: int
    expiry: int
    units: list  # [(business unit id, [cost centre ids], country)]
    balances: dict = field(default_factory=dict)  # wallet id -> balance
    lots: dict = field(default_factory=dict)  # wallet id -> [Lot], oldest expiry first
    changed_lots: dict = field(default_factory=dict)  # lot id -> Lot (remaining changed after its insert)


def months(count: int) -> list[datetime]:
    """`count` local month starts ending with the last complete month, plus the start of the current one."""
    zone = ZoneInfo(TIME_ZONE)
    now = datetime.now(zone)
    year, month = now.year, now.month
    starts = []
    for _ in range(count + 1):
        starts.append(datetime(year, month, 1, tzinfo=zone))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def prepare(*, employees: int, units: int, slug: str) -> tuple[World, object]:
    """The organisation (time zone Asia/Kolkata), employees, programmes and budgets through the services."""
    from django.db import connection

    from plum.core.actor import Actor
    from points import services as points_services
    from points.commands import ProgrammeCommand, ProgrammeTopupCommand
    from points.ledger import organisation_account_id
    from points.models import Account
    from users import services as users_services
    from users.commands import ApiClientCreate, EmployeesSync
    from users.models import BusinessUnit, CostCentre

    organisation, _ = users_services.organisation_ensure(slug=slug, name=slug)
    organisation.time_zone = TIME_ZONE
    organisation.save(update_fields=["time_zone"])
    actor = Actor.system(organisation.id, label="benchmark")
    rng = random.Random(18)
    records = []
    for n in range(employees):
        unit = n % units
        records.append(
            {
                "employee_id": f"R{n:06d}",
                "email": f"r{n}@bench.example",
                "first_name": "Report",
                "last_name": f"Person {n}",
                "business_unit": f"BU{unit:03d}",
                "cost_centre": f"CC{unit:03d}{'AB'[rng.randrange(2)]}",
                "country": COUNTRIES[unit % len(COUNTRIES)],
                "department": DEPARTMENTS[rng.randrange(len(DEPARTMENTS))],
            }
        )
    for first in range(0, employees, 10_000):
        body = {"mode": "upsert", "source": "bench", "employees": records[first : first + 10_000]}
        users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body))
    shards = []
    for code, days in PROGRAMMES:
        body = {"code": code, "name": code, "max_points_per_request": 10_000, "points_validity_days": days}
        programme = points_services.programme_create(actor=actor, command=ProgrammeCommand.parse(body))
        topup = ProgrammeTopupCommand.parse({"programme": code, "points": 1_000_000_000})
        points_services.programme_topup(actor=actor, command=topup)
        accounts = Account.objects.filter(programme=programme, kind=Account.Kind.BUDGET).order_by("id")
        shards.append([[a.id, a.balance] for a in accounts])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
            " SELECT organisation_id, 'wallet', id, 0, now() FROM users_employee WHERE organisation_id = %s"
            " ORDER BY id ON CONFLICT DO NOTHING",
            [organisation.pk],
        )
        cursor.execute(
            "SELECT e.id, a.id FROM users_employee e JOIN points_account a ON a.employee_id = e.id"
            " WHERE e.organisation_id = %s ORDER BY e.employee_id",
            [organisation.pk],
        )
        pairs = cursor.fetchall()
    centres = {}
    for code, pk in CostCentre.objects.filter(organisation=organisation).values_list("code", "id"):
        centres.setdefault(code[:5], []).append(str(pk))
    unit_rows = [
        (str(pk), sorted(centres[code.replace("BU", "CC")]), COUNTRIES[int(code[2:]) % len(COUNTRIES)])
        for code, pk in BusinessUnit.objects.filter(organisation=organisation)
        .order_by("code")
        .values_list("code", "id")
    ]
    world = World(
        organisation_id=str(organisation.pk),
        employees=[str(e) for e, _ in pairs],
        wallets=[w for _, w in pairs],
        shards=shards,
        redemption=organisation_account_id(organisation.pk, Account.Kind.REDEMPTION),
        expiry=organisation_account_id(organisation.pk, Account.Kind.EXPIRY),
        units=unit_rows,
    )
    world.balances = dict.fromkeys(world.wallets, 0)
    issued = users_services.api_client_create(
        organisation=organisation, command=ApiClientCreate(name="bench-reports", allowed_scopes=["reports:read"])
    )
    return world, issued


class Month:
    """One month's rows as COPY text, in the column orders of points.ledger.postings."""

    def __init__(self, world: World):
        self.world, self.lots, self.transactions, self.entries = world, [], [], []
        self.org = world.organisation_id

    def post(self, kind: str, when: datetime, reference: str, lines: list[tuple]) -> None:
        from plum.core.ids import uuid7

        txn, stamp = str(uuid7()), when.isoformat()
        self.transactions.append((txn, self.org, kind, reference, "", stamp))
        for account, amount, after in lines:
            after_text = "\\N" if after is None else str(after)
            self.entries.append((str(uuid7()), txn, str(account), str(amount), after_text, reference, stamp))


def simulate_month(world: World, rng: random.Random, start: datetime, end: datetime, transactions: int) -> Month:
    """`transactions` ledger transactions dated within [start, end): first the expiry run of `start`, then
    awards, spends and reversals at random moments, in time order."""
    from plum.core.ids import uuid7

    month = Month(world)
    run_at = start + timedelta(minutes=30)
    for wallet, lots in world.lots.items():  # the expiry run: one transaction per wallet with lots due
        due = [lot for lot in lots if lot.expires_at <= run_at and lot.remaining > 0]
        if due and len(month.transactions) < transactions:
            total = sum(lot.remaining for lot in due)
            for lot in due:
                lot.remaining = 0
                world.changed_lots[lot.id] = lot
            world.balances[wallet] -= total
            month.post(
                "expiry", run_at, "expiry", [(wallet, -total, world.balances[wallet]), (world.expiry, total, None)]
            )
        world.lots[wallet] = [lot for lot in lots if lot.remaining > 0 or lot.expires_at > run_at]
    span = (end - run_at).total_seconds()
    moments = sorted(
        run_at + timedelta(seconds=rng.random() * span) for _ in range(transactions - len(month.transactions))
    )
    awards_this_month: list[Lot] = []
    for n, when in enumerate(moments):
        index = rng.randrange(len(world.employees))
        wallet = world.wallets[index]
        draw = rng.random()
        if draw < SHARE_REVERSAL and awards_this_month:
            lot = awards_this_month.pop(rng.randrange(len(awards_this_month)))
            if lot.remaining == lot.points and lot.expires_at > when:
                lot.remaining = 0
                world.changed_lots[lot.id] = lot
                world.balances[lot.wallet] -= lot.points
                shard = world.shards[lot.programme][n % len(world.shards[lot.programme])]
                shard[1] += lot.points
                lines = [(lot.wallet, -lot.points, world.balances[lot.wallet]), (shard[0], lot.points, shard[1])]
                month.post("reversal", when, f"req-{lot.id[:13]}", lines)
                continue
        if draw < SHARE_REVERSAL + SHARE_SPEND:
            spendable = sum(lot.remaining for lot in world.lots.get(wallet, ()) if lot.expires_at > when)
            points = min(rng.randrange(50, 1001, 50), spendable)
            if points > 0:
                missing = points
                for lot in world.lots[wallet]:  # first to expire first (kept in that order)
                    if lot.expires_at > when and lot.remaining and missing:
                        take = min(lot.remaining, missing)
                        lot.remaining -= take
                        missing -= take
                        world.changed_lots[lot.id] = lot
                world.balances[wallet] -= points
                lines = [(wallet, -points, world.balances[wallet]), (world.redemption, points, None)]
                month.post("spend", when, f"order-{uuid7().hex[:16]}", lines)
                continue
        programme = rng.randrange(len(PROGRAMMES))
        points = rng.randrange(10, 1001, 10)
        lot = Lot(str(uuid7()), wallet, points, when + timedelta(days=PROGRAMMES[programme][1]), points, programme)
        world.lots.setdefault(wallet, []).append(lot)  # awards come in time order: the list stays sorted
        awards_this_month.append(lot)
        world.balances[wallet] += points
        shard = world.shards[programme][n % len(world.shards[programme])]
        shard[1] -= points
        month.lots.append(
            (lot.id, month.org, str(wallet), str(points), str(points), lot.expires_at.isoformat(), when.isoformat())
        )
        lines = [(wallet, points, world.balances[wallet]), (shard[0], -points, shard[1])]
        month.post("award", when, f"req-{lot.id[:13]}", lines)
    return month


def move_employees(world: World, rng: random.Random, count: int) -> None:
    """`count` employees change business unit, with a cost centre of it and its country."""
    from django.db import connection

    chosen = rng.sample(world.employees, count)
    targets = [world.units[rng.randrange(len(world.units))] for _ in chosen]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE users_employee e SET business_unit_id = v.unit, cost_centre_id = v.centre, country = v.country,"
            " updated_at = now()"
            " FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[]) AS v(id, unit, centre, country)"
            " WHERE e.id = v.id",
            [chosen, [t[0] for t in targets], [rng.choice(t[1]) for t in targets], [t[2] for t in targets]],
        )


def write_month(month: Month, *, capture: bool) -> float:
    """COPY the month's lots, transactions and entries (one statement each) in the caller's transaction;
    answers the seconds the three statements took. capture=False disables the reports capture trigger for
    this transaction (the caller rolls it back)."""
    from django.db import connection

    from points.ledger.postings import copy_ledger_rows

    if not capture:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE points_ledgerentry DISABLE TRIGGER reports_capture_ledger_entries")
    started = time.perf_counter()
    copy_ledger_rows(lots=month.lots, transactions=month.transactions, entries=month.entries)
    return time.perf_counter() - started


def finish(world: World) -> None:
    """The lots' remaining points and the accounts' cached balances as the services leave them."""
    from django.db import connection

    from points.ledger.postings import set_balances

    changed = list(world.changed_lots.values())
    with connection.cursor() as cursor:
        for first in range(0, len(changed), 50_000):
            part = changed[first : first + 50_000]
            cursor.execute(
                "UPDATE points_lot l SET remaining = v.remaining"
                " FROM unnest(%s::uuid[], %s::bigint[]) AS v(id, remaining)"
                " WHERE l.id = v.id",
                [[lot.id for lot in part], [lot.remaining for lot in part]],
            )
    set_balances({**world.balances, **{shard: balance for shards in world.shards for shard, balance in shards}})

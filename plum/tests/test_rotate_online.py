"""Online: orders, redemptions and reveals keep working while plum_rotate_voucher_key runs (real threads,
PostgreSQL). The naive rotation, one transaction holding every row, makes orders fail meanwhile."""

import threading

import pytest
from django.db import connection, transaction

from plum.core.rotation import rotate
from plum.management.commands.plum_rotate_voucher_key import VOUCHER_ROTATION
from plum.tests.rotation_support import before_rotation, opened, step_one
from points.tests.factories import seed_employees
from vouchers.errors import VoucherError
from vouchers.models import StockCode
from vouchers.tests.factories import fund_wallet, make_catalogue, order, redeem, reveal

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS, ROUNDS = 3, 12  # each worker: an order from stock, a redemption and a reveal per round


@pytest.fixture
def shop(tenant, settings):
    before_rotation(settings)
    employees = [f"E{n}" for n in range(WORKERS)]
    seed_employees(tenant, *employees)
    for employee in employees:
        fund_wallet(tenant, employee, 1_000_000)
    catalogue = make_catalogue(tenant, stock_codes=1500)
    issued = [
        order(tenant, order_id=f"G{n}", product=catalogue.generated, denomination=10, employee_id="E0")
        for n in range(WORKERS * ROUNDS)
    ]
    shown = [order(tenant, order_id=f"S{n}", product=catalogue.stock) for n in range(WORKERS * ROUNDS)]
    to_redeem = [placed.document["vouchers"][0]["code"] for placed in issued]
    to_reveal = [(placed.document["vouchers"][0]["id"], placed.document["vouchers"][0]["code"]) for placed in shown]
    return catalogue, to_redeem, to_reveal


def run_workers(tenant, catalogue, to_redeem, to_reveal, *, start, keep_going, on_op=lambda: None) -> list:
    """Each worker, once `start` is set, runs rounds until it has done ROUNDS and keep_going() is false.
    Answers what each operation answered (an exception, a wrong answer) or "ok"."""
    results, lock = [], threading.Lock()

    def worker(n: int) -> None:
        try:
            start.wait(timeout=60)
            done = 0
            while done < ROUNDS or keep_going():
                i = n * ROUNDS + done % ROUNDS
                for op in ("order", "redeem", "reveal"):
                    try:
                        if op == "order":
                            placed = order(
                                tenant, order_id=f"W{n}-{done}", employee_id=f"E{n}", product=catalogue.stock
                            )
                            answer = "ok" if placed.document["vouchers"][0]["code"].startswith("SKY-") else placed
                        elif op == "redeem" and done < ROUNDS:
                            answer = "ok" if redeem(tenant, to_redeem[i]).status == "redeemed" else "not redeemed"
                        elif op == "reveal":
                            voucher_id, code = to_reveal[i]
                            answer = "ok" if reveal(tenant, voucher_id)["code"] == code else "wrong code"
                        else:
                            continue
                    except VoucherError as exc:
                        answer = exc.code.value
                    except Exception as exc:  # every failure is counted; none may happen
                        answer = f"{type(exc).__name__}: {exc}"
                    with lock:
                        results.append((op, answer))
                    on_op()
                done += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    return threads, results


def join(threads) -> None:
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"


def test_orders_redemptions_and_reveals_all_succeed_while_the_rotation_runs(tenant, settings, shop):
    catalogue, to_redeem, to_reveal = shop
    before = opened(VOUCHER_ROTATION)
    step_one(settings)
    start, rotated, some_ops_done = threading.Event(), threading.Event(), threading.Event()
    count = iter(range(1, 10**6))
    outcome_box = []

    def note_op():
        if next(count) == 2 * WORKERS:
            some_ops_done.set()

    def rotation():
        try:

            def after_chunk(outcome):
                if outcome.chunks == 1:  # the workers' operations run while the rotation is half way
                    assert some_ops_done.wait(timeout=60)

            start.set()
            outcome_box.append(rotate(VOUCHER_ROTATION, chunk_size=50, pause=0.05, after_chunk=after_chunk))
        finally:
            rotated.set()
            connection.close()

    threads, results = run_workers(
        tenant, catalogue, to_redeem, to_reveal, start=start, keep_going=lambda: not rotated.is_set(), on_op=note_op
    )
    rotator = threading.Thread(target=rotation)
    rotator.start()
    join([rotator, *threads])

    assert [answer for _, answer in results if answer != "ok"] == []
    assert {op for op, _ in results} == {"order", "redeem", "reveal"}
    assert sum(op == "redeem" for op, _ in results) == WORKERS * ROUNDS
    (outcome,) = outcome_box
    after = opened(VOUCHER_ROTATION, current_only=True)  # every value, old and new, opens with the new key alone
    # verified: all there was when it ended (the workers' last orders may come after, under the new key)
    assert (
        sum(value is not None for value in before.values())
        < outcome.verified
        <= sum(value is not None for value in after.values())
    )
    assert {key: value for key, value in after.items() if key in before} == before


def test_naive_one_transaction_rotation_makes_orders_fail_meanwhile(tenant, settings, shop):
    catalogue, to_redeem, to_reveal = shop
    step_one(settings)
    locked, released = threading.Event(), threading.Event()
    done = iter(range(1, 10**6))

    def naive_rotation():
        """Every stock code locked, re-sealed and written in one transaction."""
        try:
            sealer = VOUCHER_ROTATION.sealer
            with transaction.atomic():
                codes = list(StockCode.objects.select_for_update().order_by("pk"))
                for code in codes:
                    code.code_ciphertext = sealer.seal(
                        sealer.unseal(code.code_ciphertext, code.organisation_id), code.organisation_id
                    )
                StockCode.objects.bulk_update(codes, ["code_ciphertext"])
                locked.set()
                released.wait(timeout=120)
        finally:
            connection.close()

    def count_op():
        if next(done) == 3 * WORKERS * ROUNDS:
            released.set()

    rotator = threading.Thread(target=naive_rotation)
    rotator.start()
    threads, results = run_workers(
        tenant, catalogue, to_redeem, to_reveal, start=locked, keep_going=lambda: False, on_op=count_op
    )
    join([*threads, rotator])

    orders = [answer for op, answer in results if op == "order"]
    assert orders == ["out_of_stock"] * WORKERS * ROUNDS  # every code held by the rotation: none to sell

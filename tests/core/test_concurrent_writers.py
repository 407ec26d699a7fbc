"""Concurrent writers lose nothing: on SQLite they queue on the busy timeout instead of failing,
on PostgreSQL they share the pool."""

import threading

from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.org import services
from citizenvoice.org.models import Unit, UnitKind


def test_twenty_concurrent_writers_lose_nothing(make_app) -> None:
    app = make_app()
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def writer(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(10):
                    # Read first, then write: the pattern that fails with deferred transactions.
                    db.session.scalar(select(func.count(Unit.id)))
                    services.create_unit(f"w{n}-{i}", f"Writer {n} unit {i}", UnitKind.OFFICE)
                    db.session.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == 200

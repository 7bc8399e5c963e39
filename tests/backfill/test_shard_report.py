"""Sharding, the report and the progress line (pure)."""

from __future__ import annotations

import io

import pytest

from reconciler.backfill.inputs import InputProblem
from reconciler.backfill.progress import Progress, format_eta, handover, progress_line
from reconciler.backfill.report import Adoption, Report, Tally
from reconciler.backfill.shard import InvalidShard, Shard


def test_shard_parse() -> None:
    assert Shard.parse(" 2/4 ") == Shard(2, 4)
    assert str(Shard.parse("1/1")) == "1/1"


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "3", "", "1/2/3"])
def test_shard_parse_errors(text: str) -> None:
    with pytest.raises(InvalidShard) as caught:
        Shard.parse(text)
    assert str(caught.value) == f"--shard must be i/n with 1 <= i <= n (like 1/4), got {text!r}"


def test_shards_partition_the_ids_evenly_and_stably() -> None:
    ids = [f"user-{i}" for i in range(4000)]
    owners = [[s for s in range(1, 5) if Shard(s, 4).owns(i)] for i in ids]
    assert all(len(found) == 1 for found in owners)
    sizes = [sum(1 for found in owners if found == [s]) for s in range(1, 5)]
    assert all(900 < size < 1100 for size in sizes), sizes
    # Stable across runs and machines: SHA-256, not hash().
    assert [s for s in range(1, 5) if Shard(s, 4).owns("user-0")] == [4]
    assert Shard().owns("anything")


def test_report_dict_and_text() -> None:
    tally = Tally(("created", "matched", "adopted", "skipped", "failed"))
    tally.add("created", 3)
    tally.add("adopted")
    tally.add("skipped")
    tally.fail("u9", "HTTP 400: bad (request id req_1)")
    tally.fail("u2", "HTTP 500: boom")
    report = Report(
        command="backfill customers",
        counts=tally.counts(),
        failures=tally.failures(),
        malformed=(InputProblem(4, "empty entity id"),),
        duplicates=2,
        shard="2/4",
        requests=10,
        retries={"429": 3},
        elapsed_seconds=2.0,
        adoptions=(Adoption("u1", "cus_1", "email"),),
    )
    assert report.to_dict() == {
        "version": 1,
        "command": "backfill customers",
        "ok": False,
        "dry_run": False,
        "counts": {"created": 3, "matched": 0, "adopted": 1, "skipped": 1, "failed": 2},
        "failures": [
            {"key": "u2", "reason": "HTTP 500: boom"},
            {"key": "u9", "reason": "HTTP 400: bad (request id req_1)"},
        ],
        "malformed": [{"line": 4, "message": "empty entity id"}],
        "duplicates": 2,
        "shard": "2/4",
        "requests": 10,
        "retries": {"429": 3},
        "elapsed_seconds": 2.0,
        "requests_per_second": 5.0,
        "adoptions": [{"entity_id": "u1", "customer_id": "cus_1", "by": "email"}],
    }
    assert report.render_text("ids.txt") == "\n".join(
        [
            "backfill customers: created 3, matched 0, adopted 1, skipped 1, failed 2",
            "10 Stripe requests in 2.0s (5.0/s), 3 retried, shard 2/4",
            "2 duplicate line(s) counted once",
            "adopted: u1 -> cus_1 (by email)",
            "malformed: ids.txt:4: empty entity id",
            "failed: u2: HTTP 500: boom",
            "failed: u9: HTTP 400: bad (request id req_1)",
        ]
    )
    assert Report("sync --all", {"updated": 1}).ok


def test_format_eta() -> None:
    assert [format_eta(s) for s in (0, 59.4, 75, 3725)] == ["0:00", "0:59", "1:15", "1:02:05"]


def test_progress_line() -> None:
    assert progress_line("customers", 250, 1000, 10.0, bar=True) == (
        "customers [######------------------] 250/1000 25.0/s ETA 0:30"
    )
    assert progress_line("customers", 250, 1000, 10.0, bar=False) == (
        "customers 250/1000 25.0/s ETA 0:30"
    )
    assert progress_line("read", 0, 0, 0.0, bar=True) == "read 0 0.0/s ETA ?"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    clock = Clock()
    progress = Progress("customers", 10, stream, interval=3600, clock=clock)
    progress.advance(4)
    clock.now = 2.0
    progress.close()
    assert stream.getvalue() == "customers 4/10 2.0/s ETA 0:03\n"


def test_progress_redraws_in_place_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    clock = Clock()
    progress = Progress("customers", 4, stream, interval=3600, clock=clock)
    progress.advance(4)
    clock.now = 1.0
    progress.close()
    assert stream.getvalue() == (
        "\r\x1b[2Kcustomers [########################] 4/4 4.0/s ETA 0:00\n"
    )


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_narrow_terminal_is_cut_to_its_width() -> None:
    stream = Tty()
    clock = Clock()
    progress = Progress("customers", 4, stream, interval=3600, clock=clock, width=lambda: 30)
    progress.advance(2)
    clock.now = 1.0
    progress.close()
    progress.close()  # a second close writes nothing
    assert stream.getvalue() == "\r\x1b[2Kcustomers [############------\n"
    assert len("customers [############------") == 29


def test_the_write_phase_takes_over_the_live_line() -> None:
    stream = io.StringIO()
    clock = Clock()
    listed = Progress("read", 0, stream, interval=3600, clock=clock).start()
    written = Progress("synced", 0, stream, interval=3600, clock=clock)
    listed.advance(3)
    clock.now = 1.0
    advance = handover(listed, written)
    assert not written.started
    advance(1)
    assert written.started
    assert stream.getvalue() == "read 3 3.0/s ETA ?\n"
    advance(1)
    clock.now = 2.0
    listed.close()
    written.close()
    assert stream.getvalue() == "read 3 3.0/s ETA ?\nsynced 2 2.0/s ETA ?\n"


def test_a_dry_run_report_says_so_and_lists_twenty_adoptions() -> None:
    adoptions = tuple(Adoption(f"u{i:02}", f"cus_{i}", "customer_id") for i in range(23))
    report = Report(
        command="backfill customers",
        counts={"created": 0, "matched": 0, "adopted": 23, "skipped": 0, "failed": 0},
        requests=1,
        elapsed_seconds=0.5,
        adoptions=adoptions,
        dry_run=True,
    )
    lines = report.render_text().splitlines()
    assert lines[0] == (
        "backfill customers (dry run, nothing written): created 0, matched 0, adopted 23, "
        "skipped 0, failed 0"
    )
    assert lines[2] == "to adopt: u00 -> cus_0 (by customer_id)"
    assert lines[21] == "to adopt: u19 -> cus_19 (by customer_id)"
    assert lines[22:] == ["... and 3 more (the JSON report lists every one)"]
    assert report.to_dict()["dry_run"] is True
    assert len(report.to_dict()["adoptions"]) == 23

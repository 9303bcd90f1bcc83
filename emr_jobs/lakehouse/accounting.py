"""Row accounting: every input row of a run ends in exactly one place.

For each table a step writes, ``rows_in = loaded + deduplicated + quarantined``:

* ``rows_in``       rows the step read for that table in this run;
* ``loaded``        rows handed to the table's MERGE (new, changed or unchanged: a re-run loads the same rows
                    and the MERGE changes nothing);
* ``deduplicated``  older or repeated versions of a business key dropped in favour of the latest one;
* ``quarantined``   rows routed to a quarantine table with a reason code.

A run whose balance does not hold fails (``assert_balanced``): a row that vanished silently is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


class AccountingError(RuntimeError):
    """A table's rows do not add up; the message names every unbalanced table and the numbers."""


@dataclass
class Accounting:
    table: str  # "<layer>.<table>", e.g. "silver.orders"
    rows_in: int = 0
    loaded: int = 0
    deduplicated: int = 0
    quarantined: int = 0
    # quarantined rows per reason code (sums to ``quarantined``); informative, not part of the balance
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return (
            self.rows_in == self.loaded + self.deduplicated + self.quarantined
            and min(self.rows_in, self.loaded, self.deduplicated, self.quarantined) >= 0
        )

    @property
    def difference(self) -> int:
        return self.rows_in - (self.loaded + self.deduplicated + self.quarantined)

    def add(self, other: Accounting) -> Accounting:
        """Sum two accountings of the same table (e.g. two hourly runs)."""
        if other.table != self.table:
            raise ValueError(f"cannot add accounting of {other.table} to {self.table}")
        reasons = dict(self.by_reason)
        for k, v in other.by_reason.items():
            reasons[k] = reasons.get(k, 0) + v
        return Accounting(
            self.table,
            self.rows_in + other.rows_in,
            self.loaded + other.loaded,
            self.deduplicated + other.deduplicated,
            self.quarantined + other.quarantined,
            reasons,
        )

    def to_dict(self) -> dict:
        """The shape ``report.write_run_report`` takes under ``accounting``."""
        d = asdict(self)
        d["balanced"] = self.balanced
        return d


def assert_balanced(entries: Iterable[Accounting] | dict[str, Accounting]) -> None:
    """Raise ``AccountingError`` naming every table whose rows do not add up."""
    items = list(entries.values()) if isinstance(entries, dict) else list(entries)
    bad = [a for a in items if not a.balanced]
    if bad:
        detail = "; ".join(
            f"{a.table}: rows_in={a.rows_in} != loaded={a.loaded} + deduplicated={a.deduplicated} "
            f"+ quarantined={a.quarantined} (difference {a.difference})"
            for a in bad
        )
        raise AccountingError(f"row balance does not hold for {len(bad)} table(s): {detail}")


def merge_all(entries: Iterable[Accounting]) -> dict[str, Accounting]:
    """Combine accountings by table (several jobs or runs may report the same table)."""
    out: dict[str, Accounting] = {}
    for a in entries:
        out[a.table] = out[a.table].add(a) if a.table in out else Accounting(**{**asdict(a)})
    return out


def record(ctx, entries: Iterable[Accounting] | dict[str, Accounting]) -> None:
    """Log each table's balance, add the per-table metrics (RecordsIn/Out/Quarantined with a Table
    dimension) to the job's counters, then fail the job if any balance does not hold."""
    items = list(entries.values()) if isinstance(entries, dict) else list(entries)
    for a in items:
        ctx.count("RecordsIn", a.rows_in, table=a.table)
        ctx.count("RecordsOut", a.loaded, table=a.table)
        ctx.count("RecordsQuarantined", a.quarantined, table=a.table)
        ctx.log.info("row accounting", extra={"accounting": a.to_dict()})
    assert_balanced(items)

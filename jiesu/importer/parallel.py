"""Bulk import in several processes: each imports its part of the file, the parent merges what they did.

    summary = run_import("tickets.csv", "csv", processes=4)   # jiesu import tickets.csv --processes 4

One import process is bound by its own Python (checks, classification,
encoding the rows: about 95 µs a ticket), so on a machine with more cores
than that process and its database writers use, more tickets per second need
more processes. The file is split by **external id**, not by line ranges
(services.part_of): every process reads the whole file but parses only the
rows whose id falls in its part, so the same id is always in the same
process, which finds its repeats exactly as one process would (the earlier
line is imported, the later rejected as a duplicate). Each process has its
own writers (`writers` connections each) and writes its own part of the
report; the parent merges the parts in line order into the one report and
adds up the summaries (`timings` are then the sum over the processes).

Only on PostgreSQL and outside a caller's transaction: SQLite has one writer,
and a caller's transaction is invisible to other connections. There
run_import runs one process. When a process fails, the others are stopped:
the batches written stay written (each is its own transaction) and a re-run
continues where the run stopped, as after any interrupted run. On Ctrl-C the
parent tells each process to stop as one process stops (it finishes its
batches in flight), merges what they did and raises services.Interrupted.
"""
from __future__ import annotations

import csv
import heapq
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait
from pathlib import Path

from django.db import connection, connections
from django.utils import timezone

from jiesu.importer.services import (CHILD_STOP, Importer, ImportError_, Interrupted, StoppedPartWay, Summary,
                                    check_input, check_other_sources, check_report, default_report_path,
                                    ignoring_interrupts, open_report, progress_bar, progress_counts)

PROCESSES = 2  # import processes by default on PostgreSQL (measured side by side on 2 cores: 2 × 1 writer
#               8,105–8,559 tickets/s, 1 × 2 writers 7,367–7,614, 1 × 1 writer 6,089; docs/import.md)
COUNTED = ("read", "imported", "already", "rejected", "events", "assignments", "writers", "training_examples",
           "unsure", "overdue", "overdue_undispatched")
COUNTERS = ("reasons", "notes", "states", "classified", "routing", "timings", "no_place")
STOP_WAIT = 120  # seconds the children get to finish their batches in flight after Ctrl-C


def can_split(conn=connection):
    """Whether a run on this connection can be split over processes (PostgreSQL, not in a caller's transaction)."""
    return conn.vendor == "postgresql" and not conn.in_atomic_block


def run_parallel(path, fmt, processes, report=None, progress=False, now=None, **options) -> Summary:
    """Import `path` in `processes` processes (see the module's docstring); returns the merged Summary."""
    started = time.perf_counter()
    path = str(path)
    check_input(path)
    now = now or timezone.now()
    report_path = Path(report) if report else default_report_path(path, now)
    check_report(report_path, bool(report))
    other_sources = check_other_sources(path, fmt, options.get("source"), bool(options.get("dry_run")),
                                        bool(options.get("duplicate_other_source")))
    parts = [report_path.with_name(f"{report_path.name}.part{k}") for k in range(processes)]
    context = multiprocessing.get_context("fork")  # the children share the parent's settings and loaded data
    bytes_read = context.Array("q", processes, lock=False)
    imported = context.Array("q", processes, lock=False)
    connections.close_all()  # a connection must not be shared with a child
    children = []
    try:
        for k in range(processes):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_import_part, name=f"jiesu-import-{k}",
                                    args=(k, processes, path, fmt, dict(options, report=parts[k], now=now),
                                          send, bytes_read, imported))
            child.start()
            send.close()
            children.append((child, receive))
        bar = progress_bar(path, Path(path).stat().st_size, progress)
        try:
            summaries, stopped = _collect(children, bar, bytes_read, imported, bool(options.get("dry_run")))
        except KeyboardInterrupt:  # Ctrl-C (the children ignore SIGINT): each is told to stop as it would alone
            bar.close()
            with ignoring_interrupts():
                summaries = _stop(children)
                summary = merge_summaries(summaries)
                summary.path, summary.report = path, str(report_path)
                summary.dry_run = bool(options.get("dry_run"))
                written = [part for part in parts if part.exists()]
                if written:
                    merge_reports(written, report_path)
            raise Interrupted(summary) from None
        summary = merge_summaries(summaries)
        merge_reports(parts, report_path)
    finally:
        for child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
        for part in parts:
            part.unlink(missing_ok=True)
    summary.processes = processes
    summary.path, summary.report = path, str(report_path)
    summary.other_sources = other_sources
    summary.seconds = time.perf_counter() - started
    if stopped is not None:  # every process met the bytes that are not text: each wrote the rows before them
        raise StoppedPartWay(stopped, summary)
    return summary


STOP = CHILD_STOP


#: The database connections a child found open, inherited from its parent by fork: kept here, neither used nor
#: closed (closing one would end the parent's session on the server).
INHERITED = []


def forget_inherited_connections():
    """A child opens its own connections. The parent closes its connections before it forks, but Django keeps
    them per context (asgiref's Local): with an event loop running in the thread (a page test's browser keeps
    one), a connection held under another context is not reached and is copied open. Used by both processes,
    one socket would carry two conversations (seen: "the last operation didn't produce records")."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            INHERITED.append(conn.connection)
            conn.connection = None


def _import_part(k, n, path, fmt, options, send, bytes_read, imported):
    """A child process: import part k of n, send back ("ok", Summary), ("refused", message), ("interrupted",
    Summary) or ("failed", …). A child ignores SIGINT (Ctrl-C sends it to the whole process group): the parent
    stops it with STOP, once, so that it finishes its batches in flight undisturbed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(STOP, signal.default_int_handler)  # raises KeyboardInterrupt: the Importer stops cleanly
    forget_inherited_connections()

    def tick(position, summary):
        bytes_read[k], imported[k] = position, summary.imported

    try:
        send.send(("ok", Importer(path, fmt, part=(k, n), on_tick=tick, **options).run()))
    except StoppedPartWay as exc:
        send.send(("stopped", (exc.problem, exc.summary)))
    except ImportError_ as exc:
        send.send(("refused", str(exc)))
    except Interrupted as exc:
        send.send(("interrupted", exc.summary))
    except KeyboardInterrupt:  # stopped before its rows were streamed: it wrote nothing
        send.send(("interrupted", None))
    except Exception as exc:  # noqa: BLE001 - told to the parent, which stops the run with it
        send.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()
        send.close()


def _collect(children, bar, bytes_read, imported, dry_run=False):
    """(The children's summaries in part order, the words of a stop part-way or None); the progress bar meanwhile
    (each child reads the whole file, so each stops at bytes that are not text, once it has written its rows
    before them)."""
    summaries, waiting = {}, {receive: k for k, (_child, receive) in enumerate(children)}
    stopped = None
    done = 0
    with bar:
        while waiting:
            for receive in wait(list(waiting), timeout=0.5):
                k = waiting.pop(receive)
                try:
                    kind, value = receive.recv()
                except EOFError:  # it died without a word (killed, out of memory)
                    child = children[k][0]
                    child.join()
                    kind, value = "failed", f"exited with code {child.exitcode}"
                if kind == "refused":
                    raise ImportError_(value)
                if kind == "stopped":
                    stopped, value = value
                if kind not in ("ok", "stopped"):
                    raise RuntimeError(f"import process {k + 1} of {len(children)} failed ({value}); the batches "
                                       "written stay written, a re-run continues where this run stopped")
                summaries[k] = value
            position = sum(bytes_read) // len(children)
            bar.update(position - done)
            done = position
            bar.set_postfix_str(progress_counts(dry_run, sum(imported)), refresh=False)
    return [summaries[k] for k in range(len(children))], stopped


def _stop(children, timeout=STOP_WAIT):
    """After Ctrl-C: tell every child still running to stop (it finishes the batches in flight, as one process
    would) and take what each did: [Summary] of those that say (finished or stopped)."""
    for child, _receive in children:
        if child.is_alive():
            try:
                os.kill(child.pid, STOP)
            except ProcessLookupError:
                pass
    summaries, waiting = [], {receive: k for k, (_child, receive) in enumerate(children)}
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for receive in wait(list(waiting), timeout=0.5):
            waiting.pop(receive)
            try:
                kind, value = receive.recv()
            except EOFError:
                continue
            if kind == "stopped":
                value = value[1]
            if kind in ("ok", "interrupted", "stopped") and value is not None:
                summaries.append(value)
    return summaries


def merge_summaries(parts) -> Summary:
    """One Summary of several parts' (counts and counters added up, the id range widened)."""
    if not parts:
        return Summary()
    first = parts[0]
    out = Summary(path=first.path, format=first.format, source=first.source, database=first.database,
                  dry_run=first.dry_run, classifier=first.classifier, key_checks=first.key_checks,
                  key_checks_reason=first.key_checks_reason, min_probability=first.min_probability,
                  closed_column=first.closed_column,
                  fast_classifier=all(s.fast_classifier for s in parts))
    for s in parts:
        for name in COUNTED:
            setattr(out, name, getattr(out, name) + getattr(s, name))
        for name in COUNTERS:
            getattr(out, name).update(getattr(s, name))
        if s.overdue_since is not None and (out.overdue_since is None or s.overdue_since < out.overdue_since):
            out.overdue_since = s.overdue_since
        if s.first_id is not None:
            out.first_id = s.first_id if out.first_id is None else min(out.first_id, s.first_id)
            out.last_id = s.last_id if out.last_id is None else max(out.last_id, s.last_id)
    return out


def merge_reports(parts, out):
    """The parts' reports (each in line order, with the same header) as one report in line order: the rows
    refused, already imported and imported with a note alike (each part's lines of one row stay together)."""
    files = [open(part, encoding="utf-8-sig", newline="") for part in parts]
    try:
        readers = [csv.reader(fh) for fh in files]
        header = [next(reader) for reader in readers][0]
        with open_report(out) as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(heapq.merge(*readers, key=lambda row: int(row[0])))
    finally:
        for fh in files:
            fh.close()

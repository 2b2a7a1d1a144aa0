#!/usr/bin/env python3
"""bench/report.py - turns the results of bench/run.sh into docs/benchmarks.md.

usage: report.py RESULTS.jsonl COMMANDS.tsv META.json OUT.md

RESULTS holds one JSON object per measured run (bench/lib.sh `result`),
COMMANDS "figure<TAB>command" lines, META the machine and the run. Every
figure is the median of the runs with the min and max beside it; a rate is
computed per run first (items / wall seconds), then summarised. Ratios
pair the runs of one round (run i of mdesiem with run i of its peer), so
they are measured side by side.
"""
import collections
import json
import statistics
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def fnum(x, digits=None):
    """A number for a table: thousands separators, sensible precision."""
    if x is None:
        return "-"
    if digits is None:
        a = abs(x)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    return f"{x:,.{digits}f}"


def summary(values, digits=None):
    """median (min-max) of values."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fnum(med, digits)
    return f"{fnum(med, digits)} ({fnum(min(values), digits)}–{fnum(max(values), digits)})"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rate(r, key="items"):
    return r[key] / r["wall"] if r.get("wall") else None


def by_case(rows, figure):
    out = collections.OrderedDict()
    for r in rows:
        if r.get("figure") == figure:
            out.setdefault(r["case"], []).append(r)
    return out


def paired_ratio(a_rows, b_rows, fn):
    """fn(a)/fn(b) for runs with the same number."""
    b_by_run = {r["run"]: r for r in b_rows}
    out = []
    for a in a_rows:
        b = b_by_run.get(a["run"])
        if b is not None and fn(b):
            out.append(fn(a) / fn(b))
    return out


def meta_row(rows, figure):
    for r in rows:
        if r.get("figure") == figure:
            return r
    return {}


class Doc:
    def __init__(self):
        self.lines = []

    def p(self, text=""):
        self.lines.append(text)

    def table(self, header, rows):
        self.p("| " + " | ".join(header) + " |")
        self.p("|" + "|".join("---" for _ in header) + "|")
        for r in rows:
            self.p("| " + " | ".join(str(c) for c in r) + " |")
        self.p()

    def commands(self, cmds, figure):
        lines = [c for f, c in cmds if f == figure]
        if lines:
            self.p("Commands:")
            self.p()
            self.p("```sh")
            for c in lines:
                self.p(c)
            self.p("```")
            self.p()


# ---- figures -----------------------------------------------------------


def convert_section(d, rows, cmds, goals):
    cases = by_case(rows, "convert")
    m = meta_row(rows, "convert-meta")
    d.p("## 1. Convert: Graph alerts_v2 to each format, one core")
    d.p()
    if not cases:
        d.p("Not run.")
        d.p()
        return
    d.p(f"Input: one Graph `alerts_v2` page of {m.get('alerts_per_page', '?'):,} alerts from `mdesiem emulate` "
        f"(every alert has {m.get('min_evidence', '?')}+ evidence items, {fnum(m.get('avg_evidence'), 2)} on average; "
        f"{fnum(m.get('page_bytes', 0) / m.get('alerts_per_page', 1) / 1000, 2)} kB per alert, "
        f"{fnum(m.get('page_bytes', 0) / 1e6, 1)} MB per page), repeated as JSON lines: "
        f"{m.get('pages')} pages ({m.get('pages', 0) * m.get('alerts_per_page', 0):,} alerts) for mdesiem and cat, "
        f"{m.get('jq_pages')} pages for jq. Every process is pinned to core 0 (`taskset -c 0`) and writes to "
        f"/dev/null. `bench/legacy.jq` implements the `legacy` field table; on the benchmark page its output "
        f"and `mdesiem convert --to legacy` are **{m.get('peer_check', '?')}** ({m.get('jq_version', 'jq')}). "
        f"cat reads the {m.get('pages')}-page file {m.get('cat_reps')} times per run so a run lasts over 0.5 s.")
    d.p()
    jq_rows = cases.get("jq-legacy", [])
    cat_rows = cases.get("cat", [])
    table = []
    for case, rs in cases.items():
        tool = rs[0]["tool"]
        label = f"mdesiem --to {case}" if tool == "mdesiem" else ("jq -f bench/legacy.jq" if tool == "jq" else "cat")
        vs_jq = summary(paired_ratio(rs, jq_rows, rate), 1) if jq_rows and tool != "jq" else "1"
        vs_cat = summary(paired_ratio(rs, cat_rows, lambda r: r["bytes"] / r["wall"]), 3) if cat_rows else "-"
        table.append([
            label,
            summary([rate(r) for r in rs]),
            summary([r["bytes"] / r["wall"] / 1e6 for r in rs]),
            summary([(r["user"] + r["sys"]) / r["items"] * 1e6 for r in rs], 1),
            fnum(med([r["wall"] for r in rs]), 2),
            fnum(med([r["rss_kb"] for r in rs]) / 1024, 1),
            vs_jq,
            vs_cat,
        ])
    d.table(["tool", "alerts/s", "input MB/s", "CPU µs per alert", "run s", "peak RSS MB",
             "× jq (alerts/s)", "× cat (MB/s)"], table)
    cef = cases.get("cef", [])
    if cef:
        goals.append(("convert to cef on one core", "≥ 100,000 alerts/s", med([rate(r) for r in cef]), "alerts/s",
                      lambda v: v >= 100000))
        if jq_rows:
            goals.append(("convert to cef vs jq legacy", "≥ 20× jq", med(paired_ratio(cef, jq_rows, rate)), "×",
                          lambda v: v >= 20))
    convert_stream_table(d, rows, goals)
    d.commands(cmds, "convert")


def convert_stream_table(d, rows, goals):
    """`convert --from stream`: records/s for json and cef, and their goals."""
    cases = by_case(rows, "convert-stream")
    m = meta_row(rows, "convert-stream-meta")
    for r in rows:
        if r.get("figure") == "convert-stream-skipped":
            d.p(f"`--from stream` not measured: {r.get('reason', '')}")
            d.p()
    if not cases:
        return
    d.p(f"From the Streaming API: {m.get('records', 0):,} records of `mdesiem emulate --stream-mock` (six Advanced "
        f"Hunting tables mixed, {fnum(m.get('bytes', 0) / max(m.get('records', 1), 1) / 1000, 2)} kB per record), "
        f"read back with kcat as the {m.get('messages', 0):,} Event Hubs message bodies, one "
        f"`{{\"records\":[...]}}` per line ({fnum(m.get('bytes', 0) / 1e6, 1)} MB), converted with "
        f"`--from stream` on core 0 to /dev/null.")
    d.p()
    table = []
    for case, rs in cases.items():
        table.append([
            f"mdesiem --from stream --to {case}",
            summary([rate(r) for r in rs]),
            summary([r["bytes"] / r["wall"] / 1e6 for r in rs]),
            summary([(r["user"] + r["sys"]) / r["items"] * 1e6 for r in rs], 2),
            fnum(med([r["wall"] for r in rs]), 2),
            fnum(med([r["rss_kb"] for r in rs]) / 1024, 1),
        ])
    d.table(["tool", "records/s", "input MB/s", "CPU µs per record", "run s", "peak RSS MB"], table)
    targets = {"json": 300000, "cef": 150000}
    for case, target in targets.items():
        rs = cases.get(case)
        if rs:
            goals.append((f"convert --from stream to {case} on one core", f"≥ {target:,} records/s",
                          med([rate(r) for r in rs]), "records/s", lambda v, t=target: v >= t))


def pull_section(d, rows, cmds):
    cases = by_case(rows, "pull")
    m = meta_row(rows, "pull-meta")
    d.p("## 2. Pull end to end: emulator → `mdesiem once` → file")
    d.p()
    if not cases:
        d.p("Not run.")
        d.p()
        return
    d.p(f"The emulator holds {m.get('alerts', 0):,} alerts (`--seed 7`); each run starts with an empty state file "
        f"and `mdesiem once` collects every alert through the SQLite outbox into one JSON-lines file "
        f"(format `json`, fsync per batch, default page size and batch size, `eps_throttle = 0`, no rotation). "
        f"Every run's file is checked to hold exactly {m.get('alerts', 0):,} lines. "
        f"{m.get('sources_note', '')}")
    d.p()
    d.p("CPU seconds are mdesiem's (user + system); the emulator runs on the same two cores and its CPU "
        "seconds for the run are shown beside them.")
    d.p()
    table = []
    for case, rs in cases.items():
        table.append([
            rs[0].get("label", case),
            summary([rate(r) for r in rs]),
            summary([r["wall"] for r in rs], 1),
            summary([r["user"] + r["sys"] for r in rs], 1),
            summary([(r["user"] + r["sys"]) / r["items"] * 1e6 for r in rs], 0),
            summary([r["rss_kb"] / 1024 for r in rs], 1),
            summary([r.get("emu_cpu") for r in rs], 1),
        ])
    d.table(["case", "alerts/s", "wall s", "mdesiem CPU s", "CPU µs per alert", "peak RSS MB", "emulator CPU s"],
            table)
    d.commands(cmds, "pull")


def stream_section(d, rows, cmds, stream_text, goals):
    d.p("## 3. Streaming (Event Hubs / Kafka)")
    d.p()
    cases = by_case(rows, "stream")
    skipped = [r for r in rows if r.get("figure") == "stream-skipped"]
    if cases:
        d.p("The same topic read to the end by each reader, interleaved round by round (`bench/stream.sh`). "
            "mdesiem writes every record to a `file` output, syncs it, and only then commits the offsets; "
            "kcat writes nothing. Ratios are paired per round, like with like: an assigned consumer against "
            "`kcat -C`, a balanced group member against `kcat -G` (both pay the mock coordinator's 3 s "
            "first-join delay, which librdkafka 2.0.2's mock cluster does not let a test shorten; so a group "
            "member is not compared with `kcat -C` as a goal).")
        d.p()
        table = []
        for case, rs in cases.items():
            table.append([rs[0].get("label", case), summary([rate(r) for r in rs]),
                          summary([r["wall"] for r in rs], 2)])
        d.table(["reader", "records/s", "wall s"], table)
        wall = lambda r: 1 / r["wall"]
        pairs = [("mds-assigned", "kcat-c", "streaming end to end, partitions = all, vs kcat -C", "≥ 0.8×"),
                 ("mds-group", "kcat-g", "streaming end to end, group member, vs kcat -G", "≥ 0.8×")]
        for a, b, name, target in pairs:
            if a in cases and b in cases:
                limit = float(target.strip("≥ ×"))
                goals.append((name, target, med(paired_ratio(cases[a], cases[b], wall)), "×",
                              lambda v, limit=limit: v >= limit))
    if stream_text.strip():
        d.p("Output of `bench/stream.sh`:")
        d.p()
        d.p("```")
        d.p(stream_text.rstrip())
        d.p("```")
        d.p()
    for r in skipped:
        d.p(f"Skipped: {r.get('reason', '')}")
        d.p()
    d.commands(cmds, "stream")


def syslog_section(d, rows, cmds):
    cases = by_case(rows, "syslog")
    m = meta_row(rows, "syslog-meta")
    d.p("## 4. Syslog into a real rsyslog (TCP and TLS)")
    d.p()
    if not cases:
        d.p("Not run.")
        d.p()
        return
    d.p(f"{m.get('records', 0):,} alerts wait in the outbox (filled once from the emulator, the state file copied "
        f"before each run); a run is `mdesiem once` draining them as `{m.get('format', 'cef')}` events "
        f"(RFC 5424, octet counting) into rsyslog {m.get('rsyslog', '')} on 127.0.0.1, which writes every message to a file. "
        f"The clock stops when rsyslog has written all {m.get('records', 0):,} messages (checked by counting lines). "
        f"The ceiling sends the same framed bytes (taken from the first mdesiem run) with a minimal Python "
        f"sender (`socket.sendall`, for TLS `ssl` around it): how fast this rsyslog takes these messages "
        f"at all. {m.get('note', '')}")
    d.p()
    table = []
    for case, rs in cases.items():
        table.append([
            rs[0].get("label", case),
            summary([rate(r) for r in rs]),
            summary([r["bytes"] / r["wall"] / 1e6 for r in rs]),
            summary([r["wall"] for r in rs], 2),
            summary([r.get("sender_cpu") for r in rs], 2),
        ])
    d.table(["case", "records/s", "MB/s on the wire", "s until rsyslog wrote all", "sender CPU s"], table)
    ratios = []
    for transport in ("tcp", "tls"):
        a, b = cases.get(transport, []), cases.get(f"{transport}-ceiling", [])
        if a and b:
            ratios.append([transport.upper(), summary(paired_ratio(a, b, rate), 2)])
    if ratios:
        d.p("mdesiem's rate as a fraction of the ceiling's, paired per round:")
        d.p()
        d.table(["transport", "mdesiem / ceiling"], ratios)
    d.commands(cmds, "syslog")


def memory_section(d, rows, cmds, goals):
    cases = by_case(rows, "memory")
    m = meta_row(rows, "memory-meta")
    d.p("## 5. Memory of `mdesiem run` with 1, 10 and 100 sources")
    d.p()
    if not cases:
        d.p("Not run.")
        d.p()
        return
    d.p(f"`mdesiem run` with N graph sources against one emulator (each source its own tenant credentials, "
        f"token, HTTP connection and cursor; `recurrence = {m.get('recurrence', '?')}`, default `page_size` (200) and `batch_size` (100), "
        f"one file output). "
        f"**Idle**: VmRSS once every source finished {m.get('idle_cycles', '?')} cycles with nothing new. "
        f"**Under load**: then the emulator creates {m.get('load', 0):,} new alerts and every source collects "
        f"all of them (N × {m.get('load', 0):,} records through the outbox); the peak is VmHWM when the last "
        f"record is delivered. **After**: one more alert, created two seconds later, moves every cursor past the "
        f"burst (each cycle re-reads `overlap` behind the cursor, and the burst's alerts share nearly one "
        f"timestamp), and VmRSS is read once every source is idle again. All from /proc/PID/status.")
    d.p()
    table = []
    for case, rs in cases.items():
        table.append([
            rs[0].get("sources"),
            summary([r["idle_kb"] / 1024 for r in rs], 1),
            summary([r["peak_kb"] / 1024 for r in rs], 1),
            summary([r["after_kb"] / 1024 for r in rs], 1),
            summary([r["load_wall"] for r in rs], 1),
            summary([r["threads"] for r in rs], 0),
        ])
        if rs[0].get("sources") == 10:
            goals.append(("RSS with 10 sources, idle", "≤ 20 MB", med([r["idle_kb"] / 1024 for r in rs]), "MB",
                          lambda v: v <= 20))
            goals.append(("RSS with 10 sources, peak under load", "≤ 20 MB", med([r["peak_kb"] / 1024 for r in rs]),
                          "MB", lambda v: v <= 20))
    d.table(["sources", "idle RSS MB", "peak under load MB (VmHWM)", "RSS after load MB", "load drained in s",
             "threads"], table)
    d.commands(cmds, "memory")


def emulator_section(d, rows, cmds, goals):
    cases = by_case(rows, "emulator")
    m = meta_row(rows, "emulator-meta")
    d.p(f"## 6. Emulator: paging through {m.get('alerts', 0):,} alerts")
    d.p()
    if not cases:
        d.p("Not run.")
        d.p()
        return
    d.p(f"`mdesiem emulate --alerts {m.get('alerts', 0):,}` started in {fnum(m.get('start_s'), 2)} s with "
        f"VmRSS {fnum(m.get('start_rss_kb', 0) / 1024, 0)} MB; its VmHWM after all runs was "
        f"{fnum(m.get('hwm_kb', 0) / 1024, 0)} MB. A run is one curl process fetching {m.get('pages')} consecutive "
        f"pages of {m.get('top')} alerts over one kept-alive connection with the query the graph source sends "
        f"(`$filter=lastUpdateDateTime ge …&$orderby=lastUpdateDateTime asc&$top={m.get('top')}&$skip=…`, the "
        f"same URLs `@odata.nextLink` gives); run i starts at offset (i − 1) × {m.get('alerts', 0):,} / runs, so "
        f"the runs are spread over the whole universe.")
    d.p()
    table = []
    for case, rs in cases.items():
        table.append([
            rs[0].get("label", case),
            summary([rate(r) for r in rs]),
            summary([r["bytes"] / r["wall"] / 1e6 for r in rs]),
            summary([r["wall"] / r["pages"] * 1000 for r in rs], 0),
            summary([r.get("emu_cpu") / r["items"] * 1e6 for r in rs], 1),
        ])
        goals.append(("emulator paging", "≥ 20,000 alerts/s", med([rate(r) for r in rs]), "alerts/s",
                      lambda v: v >= 20000))
    goals.append(("emulator RSS with 1,000,000 alerts", "< 2 GB", m.get("hwm_kb", 0) / 1024, "MB",
                  lambda v: v < 2048))
    d.table(["case", "alerts/s", "MB/s", "ms per page", "emulator CPU µs per alert"], table)
    d.commands(cmds, "emulator")


def main():
    results, commands, meta_path, out_path = sys.argv[1:5]
    rows = load(results)
    cmds = []
    with open(commands) as f:
        for line in f:
            fig, _, cmd = line.rstrip("\n").partition("\t")
            cmds.append((fig, cmd))
    with open(meta_path) as f:
        meta = json.load(f)
    stream_text = meta.get("stream_output", "")

    d = Doc()
    goals = []
    body = Doc()
    convert_section(body, rows, cmds, goals)
    pull_section(body, rows, cmds)
    stream_section(body, rows, cmds, stream_text, goals)
    syslog_section(body, rows, cmds)
    memory_section(body, rows, cmds, goals)
    emulator_section(body, rows, cmds, goals)

    d.p("# Benchmarks")
    d.p()
    d.p("Written by `make bench` (`bench/run.sh`, `bench/report.py`) from one run on the machine below; "
        "rerun it rather than editing this file. Each figure is the **median of "
        f"{meta.get('runs')} runs (min–max)**. Peers and ceilings run in the same invocation, interleaved "
        "round by round with mdesiem, so compare ratios measured side by side rather than absolute times: "
        "the machine is a shared two-core VM and other work on it moves absolute figures by tens of percent. "
        "MB = 10⁶ bytes.")
    d.p()
    d.p("## Machine and run")
    d.p()
    d.table(["", ""], [
        ["date (UTC)", meta.get("date", "")],
        ["CPU", f"{meta.get('cpu_model', '?')}, {meta.get('cores', '?')} cores"],
        ["memory", meta.get("memory", "")],
        ["kernel", meta.get("kernel", "")],
        ["OS", meta.get("os", "")],
        ["mdesiem", f"{meta.get('commit', '')} ({meta.get('build_type', '')} build, {meta.get('compiler', '')})"],
        ["peers and receivers", meta.get("tools", "")],
        ["load average at start", meta.get("loadavg", "")],
        ["make bench took", meta.get("elapsed", "")],
    ])
    if meta.get("failed"):
        d.p(f"**Failed in this run:** {', '.join(meta['failed'])} (see the output of `make bench`).")
        d.p()
    d.p("## Goals")
    d.p()
    d.p("Reported, never enforced: `make bench` does not fail on a miss.")
    d.p()
    grows = []
    for name, target, value, unit, ok in goals:
        verdict = "-" if value is None else ("met" if ok(value) else "**short**")
        grows.append([name, target, "-" if value is None else f"{fnum(value)} {unit}", verdict])
    d.table(["goal", "target", "measured (median)", "verdict"], grows)
    d.lines.extend(body.lines)
    with open(out_path, "w") as f:
        f.write("\n".join(d.lines).rstrip() + "\n")


if __name__ == "__main__":
    main()

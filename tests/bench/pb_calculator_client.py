#!/usr/bin/python3
"""Load generator for the Perspective Broker peer; prints one key=value line like rpc_loadgen.

    /usr/bin/python3 tests/bench/pb_calculator_client.py --target=tcp:PORT:interface=127.0.0.1
        [--conns=1] [--in_flight=1] [--warmup=1s] [--duration=5s] [--server_pid=PID]
        [--server_core=CPU]

Opens `conns` PB connections (each its own TCP connection, TCP_NODELAY), fetches each root object
and proves it with one call, then keeps `in_flight` `callRemote("add", a, b)` calls outstanding on
every connection: a closed loop, each answer followed at once by the next call. After the
warm-up, a window of `duration` counts answered calls and their latency (call to answer) and
samples CPU time at its edges, exactly as rpc_loadgen does, and prints the same fields with
protocol=pb. Every sum is checked. Twisted's client runs in Python too, so check client_cpu_pct:
near 100 means the client, not the server, set the pace. Run it with /usr/bin/python3 (Debian's,
which has python3-twisted). Part of //tests/bench.
"""

import argparse
import os
import sys
import time

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import defer, reactor, task  # noqa: E402
from twisted.spread import pb  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
DRAIN_SECONDS = 10


def duration(text):
    """Seconds from "1.5", "1.5s" or "500ms" (rpc_loadgen's flags use absl's "0.5s" form)."""
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    return float(text[:-1] if text.endswith("s") else text)


def parse_target(text):
    """(host, port) from "PORT", "HOST:PORT" or "tcp:PORT[:interface=HOST]"."""
    host = "127.0.0.1"
    if text.startswith("tcp:"):
        parts = text[4:].split(":")
        for option in parts[1:]:
            if option.startswith("interface="):
                host = option[len("interface="):]
        port = parts[0]
    elif ":" in text:
        host, port = text.rsplit(":", 1)
    else:
        port = text
    return ("127.0.0.1" if host == "0.0.0.0" else host), int(port)


def cpu_ticks(pid):
    """utime + stime of `pid` in clock ticks (all threads), or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def core_busy_ticks(cpu):
    """Busy (not idle, not iowait) ticks of CPU `cpu` from /proc/stat, or None."""
    prefix = "cpu%d " % cpu
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(prefix):
                values = [int(v) for v in line.split()[1:9]]
                return sum(v for i, v in enumerate(values) if i not in (3, 4))
    return None


def core_task_ticks(cpu):
    """user + nice + system ticks of CPU `cpu` (no irq/softirq: loopback traffic), or None."""
    prefix = "cpu%d " % cpu
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(prefix):
                return sum(int(v) for v in line.split()[1:4])
    return None


def pinned_cpu():
    cpus = os.sched_getaffinity(0)
    return next(iter(cpus)) if len(cpus) == 1 else -1


class Meter:
    """The measured window: counts, latencies and CPU readings, as rpc_meter.cc does."""

    def __init__(self, warmup, length, server_pid, server_core):
        self.warmup, self.length = warmup, length
        self.server_pid, self.server_core = server_pid, server_core
        self.client_core = pinned_cpu()
        self.measuring = self.finished = False
        self.calls = 0
        self.latencies = []
        self.start = self.end = None

    def begin(self, now):
        self.open_at = now + int(self.warmup * 1e9)

    def record(self, issued_at, now):
        if self.measuring:
            self.calls += 1
            self.latencies.append(now - issued_at)

    def is_finished(self, now):
        if self.finished:
            return True
        if not self.measuring and now >= self.open_at:
            self.start = self.take()
            self.measuring = True
            self.close_at = self.start["nanos"] + int(self.length * 1e9)
        elif self.measuring and now >= self.close_at:
            self.end = self.take()
            self.measuring, self.finished = False, True
        return self.finished

    def take(self):
        times = os.times()
        return {
            "nanos": time.monotonic_ns(),
            "self_us": (times.user + times.system) * 1e6,
            "self_ticks": cpu_ticks(os.getpid()),
            "server_ticks": cpu_ticks(self.server_pid) if self.server_pid > 0 else None,
            "server_core": core_busy_ticks(self.server_core) if self.server_core >= 0 else None,
            "client_core": core_busy_ticks(self.client_core) if self.client_core >= 0 else None,
            "server_tasks": core_task_ticks(self.server_core) if self.server_core >= 0 else None,
            "client_tasks": core_task_ticks(self.client_core) if self.client_core >= 0 else None,
        }

    def delta(self, key):
        a, b = self.start[key], self.end[key]
        return None if a is None or b is None else b - a

    def quantile_us(self, ordered, q):
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000.0

    def fields(self):
        seconds = (self.end["nanos"] - self.start["nanos"]) / 1e9
        window_us = seconds * 1e6
        ordered = sorted(self.latencies)
        out = ("seconds=%.2f calls=%d calls_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
               "p999_us=%.1f max_us=%.1f" % (
                   seconds, self.calls, self.calls / seconds,
                   *(self.quantile_us(ordered, q) for q in (0.5, 0.9, 0.99, 0.999, 1.0))))
        server, core = self.delta("server_ticks"), self.delta("server_core")
        client_core, own = self.delta("client_core"), self.delta("self_ticks")
        server_tasks, client_tasks = self.delta("server_tasks"), self.delta("client_tasks")
        # Other processes on the two cores, as two bounds (see CpuFields in rpc_meter.cc).
        other_busy = other_tasks = None
        if None not in (server, own) and self.server_core != self.client_core:
            if None not in (core, client_core):
                other_busy = core + client_core - server - own
            if None not in (server_tasks, client_tasks):
                other_tasks = max(0, server_tasks + client_tasks - server - own)

        def micros(ticks):
            return ticks * 1e6 / CLK_TCK

        def fmt(ticks, per_call=False):
            if ticks is None or (per_call and self.calls == 0):
                return "na"
            if per_call:
                return "%.3f" % (micros(ticks) / self.calls)
            return "%.1f" % (micros(ticks) * 100 / window_us)

        out += " client_cpu_pct=%.1f" % (
            (self.end["self_us"] - self.start["self_us"]) * 100 / window_us)
        out += " server_cpu_ticks=%s" % ("na" if server is None else server)
        out += " server_cpu_pct=%s core_busy_pct=%s other_busy_pct=%s other_tasks_pct=%s" % (
            fmt(server), fmt(core), fmt(other_busy), fmt(other_tasks))
        out += " server_cpu_us_per_call=%s core_us_per_call=%s" % (
            fmt(server, True), fmt(core, True))
        return out


class NoDelayBroker(pb.Broker):
    def connectionMade(self):
        self.transport.setTcpNoDelay(True)
        pb.Broker.connectionMade(self)


class ClientFactory(pb.PBClientFactory):
    protocol = NoDelayBroker
    noisy = False


class Load:
    """The closed loop: `in_flight` calls outstanding on each root until the window closes."""

    def __init__(self, roots, in_flight, meter):
        self.roots, self.in_flight, self.meter = roots, in_flight, meter
        self.seq = 0
        self.outstanding = 0
        self.stopping = False
        self.done = defer.Deferred()

    def start(self):
        self.meter.begin(time.monotonic_ns())
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(0.1, now=False)
        for root in self.roots:
            for _ in range(self.in_flight):
                self.issue(root)
        return self.done

    def issue(self, root):
        self.seq += 1
        a, b = self.seq * 7919, self.seq % 1000003
        self.outstanding += 1
        issued_at = time.monotonic_ns()
        d = root.callRemote("add", a, b)
        d.addCallbacks(self.answered, self.failed, callbackArgs=(root, issued_at, a + b))

    def answered(self, result, root, issued_at, expected):
        now = time.monotonic_ns()
        self.outstanding -= 1
        if result != expected:
            return self.fail("pb: add returned %r, expected %d" % (result, expected))
        self.meter.record(issued_at, now)
        if not self.stopping and self.meter.is_finished(now):
            self.stop_issuing()
        if not self.stopping:
            self.issue(root)
        elif self.outstanding == 0:
            self.finish(None)

    def failed(self, failure):
        self.outstanding -= 1
        self.fail("pb: add failed: %s" % failure.getErrorMessage())

    def tick(self):
        now = time.monotonic_ns()
        if not self.stopping and self.meter.is_finished(now):
            self.stop_issuing()
        if self.stopping and self.outstanding == 0:
            self.finish(None)
        elif self.stopping and now > self.give_up_at:
            self.fail("pb: %d calls still unanswered %d s after the run" % (
                self.outstanding, DRAIN_SECONDS))

    def stop_issuing(self):
        self.stopping = True
        self.give_up_at = time.monotonic_ns() + DRAIN_SECONDS * 10**9

    def fail(self, message):
        self.stopping = True
        self.finish(RuntimeError(message))

    def finish(self, error):
        if self.done.called:
            return
        if self.ticker.running:
            self.ticker.stop()
        if error is None:
            self.done.callback(None)
        else:
            self.done.errback(error)


@defer.inlineCallbacks
def connect(host, port, conns):
    """Roots of `conns` PB connections, each proven by one call."""
    roots = []
    for _ in range(conns):
        factory = ClientFactory()
        reactor.connectTCP(host, port, factory, timeout=10)
        root = yield factory.getRootObject()
        result = yield root.callRemote("add", 40, 2)
        if result != 42:
            raise RuntimeError("pb: add(40, 2) returned %r" % (result,))
        roots.append(root)
    return roots


@defer.inlineCallbacks
def run(args):
    host, port = parse_target(args.target)
    roots = yield connect(host, port, args.conns)
    meter = Meter(duration(args.warmup), duration(args.duration), args.server_pid,
                  args.server_core)
    yield Load(roots, args.in_flight, meter).start()
    if meter.calls == 0:
        raise RuntimeError("pb: no call completed")
    print("protocol=pb conns=%d in_flight=%d %s" % (args.conns, args.in_flight, meter.fields()),
          flush=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--conns", type=int, default=1)
    parser.add_argument("--in_flight", type=int, default=1)
    parser.add_argument("--warmup", default="1s")
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--server_pid", type=int, default=0)
    parser.add_argument("--server_core", type=int, default=-1)
    args = parser.parse_args(argv[1:])
    if args.conns < 1 or args.in_flight < 1:
        parser.error("--conns and --in_flight must be >= 1")
    status = [1]

    def succeeded(_):
        status[0] = 0

    def failed(failure):
        print("pb_calculator_client: %s" % failure.getErrorMessage(), file=sys.stderr, flush=True)

    d = run(args)
    d.addCallbacks(succeeded, failed)
    d.addBoth(lambda _: reactor.stop())
    reactor.run()
    return status[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))

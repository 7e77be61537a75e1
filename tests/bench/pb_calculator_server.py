#!/usr/bin/python3
"""Twisted Perspective Broker peer of the unary-call benchmark (issue 3): Add as `remote_add`.

    /usr/bin/python3 tests/bench/pb_calculator_server.py [tcp:PORT[:interface=ADDR]]

A `pb.Root` whose `remote_add(a, b)` returns `a + b`, the same method as demo.Calculator's
Add (idl/demo/calculator.proto), served by `pb.PBServerFactory` on Twisted's epoll reactor
(its default on Linux, installed explicitly so the choice is visible). TCP_NODELAY is set on each
connection, as Weft's listener and gRPC do. Defaults to tcp:0:interface=127.0.0.1; once listening
it prints `listening on tcp:<port>:interface=<addr>`, the convention of every server in
tests/bench. Run it with Debian's /usr/bin/python3, which has python3-twisted. Part of
//tests/bench.
"""

import sys

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import endpoints, reactor  # noqa: E402
from twisted.spread import pb  # noqa: E402


class Calculator(pb.Root):
    def remote_add(self, a, b):
        return a + b


class NoDelayBroker(pb.Broker):
    def connectionMade(self):
        self.transport.setTcpNoDelay(True)
        pb.Broker.connectionMade(self)


class CalculatorFactory(pb.PBServerFactory):
    protocol = NoDelayBroker
    noisy = False


def _listening(port):
    host = port.getHost()
    print("listening on tcp:%d:interface=%s" % (host.port, host.host), flush=True)


_exit_code = [0]


def _failed(failure):
    print("pb_calculator_server: %s" % failure.getErrorMessage(), file=sys.stderr, flush=True)
    _exit_code[0] = 1
    reactor.stop()


def main(argv):
    if len(argv) > 2:
        print("usage: pb_calculator_server.py [tcp:PORT[:interface=ADDR]]", file=sys.stderr)
        return 2
    text = argv[1] if len(argv) == 2 else "tcp:0"
    if ":interface=" not in text:
        text += ":interface=127.0.0.1"  # Weft's rule: binding beyond loopback is explicit.
    endpoint = endpoints.serverFromString(reactor, text)
    endpoint.listen(CalculatorFactory(Calculator())).addCallbacks(_listening, _failed)
    reactor.run()
    return _exit_code[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Twisted's echo server, the design Weft's reactor follows, as a benchmark baseline.

    /usr/bin/python3 tests/bench/twisted_echo.py tcp:PORT[:interface=ADDR][:backlog=N]

The Echo protocol from Twisted's documentation on the epoll reactor (Twisted's default on
Linux, installed explicitly so the choice is visible). TCP_NODELAY is set on each connection,
as Weft's listener does. Once listening it prints `listening on tcp:<port>:interface=<addr>`,
the convention every server in tests/bench follows. Run it with Debian's /usr/bin/python3,
which has python3-twisted. Part of //tests/bench.
"""

import sys

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import endpoints, protocol, reactor  # noqa: E402


class Echo(protocol.Protocol):
    def connectionMade(self):
        self.transport.setTcpNoDelay(True)

    def dataReceived(self, data):
        self.transport.write(data)


class EchoFactory(protocol.Factory):
    protocol = Echo
    noisy = False


def _listening(port):
    host = port.getHost()
    print("listening on tcp:%d:interface=%s" % (host.port, host.host), flush=True)


_exit_code = [0]


def _failed(failure):
    print("twisted_echo: %s" % failure.getErrorMessage(), file=sys.stderr, flush=True)
    _exit_code[0] = 1
    reactor.stop()


def main(argv):
    if len(argv) != 2:
        print("usage: twisted_echo.py tcp:PORT[:interface=ADDR][:backlog=N]", file=sys.stderr)
        return 2
    text = argv[1]
    if text.isdigit():
        text = "tcp:%s:interface=127.0.0.1" % text
    elif ":interface=" not in text:
        text += ":interface=127.0.0.1"  # Weft's rule: binding beyond loopback is explicit.
    endpoint = endpoints.serverFromString(reactor, text)
    endpoint.listen(EchoFactory()).addCallbacks(_listening, _failed)
    reactor.run()
    return _exit_code[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))

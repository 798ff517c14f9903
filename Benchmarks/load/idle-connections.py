#!/usr/bin/env python3
"""Hold N idle mutual-TLS connections to a server and report its RSS before and after.

    idle-connections.py --host 127.0.0.1 --port 8444 --cert client-chain.pem --key client.key \
        --path '/api/hello?name=idle' --pids 1234 [--count 10000] [--hold 3] [--refresh 30] [--settle 2]

Each connection completes a TLS 1.3 handshake with the client certificate, sends one HTTP/1.1 keep-alive GET
(ALPN http/1.1) and must get a 2xx answer — proof that the server accepted the certificate — and then stays
open and idle (while others are still being opened, one idle for --refresh seconds asks once more, so that the
server's idle timeout does not close it on a slow machine). With all of them open, the script waits --hold
seconds, reads VmRSS of the server processes (--pids and their children) from /proc, checks that every
connection is still open, and closes them.
The RSS before is read --settle seconds after the start, once a warm-up connection has been answered and closed.

Prints one line: IDLE count=N rss_before_kib=A rss_after_kib=B per_connection_kib=C opened_in_s=S refreshed=R
Exits 1 when a connection, handshake or request fails, an answer is not 2xx, or the server closed a connection.
"""
import argparse
import collections
import concurrent.futures
import os
import select
import socket
import ssl
import sys
import time


def descendants(pids):
    """The given PIDs and all their descendants (from /proc/*/stat)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    result, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        result.append(pid)
        todo.extend(children.get(pid, []))
    return result


def rss_kib(pids):
    """Sum of VmRSS over the server's processes, in KiB."""
    total = 0
    for pid in descendants(pids):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def exchange(connection, request):
    """Sends one request on an open connection and reads its answer; raises unless it is 2xx."""
    connection.sendall(request)
    read_answer(connection)


def read_answer(connection):
    """Reads one answer from the connection; raises unless it is 2xx."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection before answering")
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split()
    if len(parts) < 2 or not parts[1].startswith("2"):
        raise ConnectionError(f"non-2xx answer: {status_line}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection inside the body")
        body += chunk


def open_connection(context, host, port, request):
    """One mutual-TLS connection that has answered one request with 2xx, and when; raises otherwise."""
    raw = socket.create_connection((host, port), timeout=30)
    try:
        connection = context.wrap_socket(raw, server_hostname=None)
        exchange(connection, request)
        return time.monotonic(), connection
    except BaseException:
        raw.close()
        raise


def still_open(connections):
    """Connections that are neither readable (EOF or unexpected data) nor in error."""
    poller = select.poll()
    by_fd = {}
    for connection in connections:
        poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        by_fd[connection.fileno()] = connection
    closed = {fd for fd, _ in poller.poll(0)}
    return [c for fd, c in by_fd.items() if fd not in closed]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/hello?name=idle")
    parser.add_argument("--cert", required=True, help="PEM client certificate chain")
    parser.add_argument("--key", required=True, help="PEM client key")
    parser.add_argument("--pids", type=int, nargs="+", required=True, help="server process IDs")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--hold", type=float, default=3.0, help="seconds to wait before reading RSS")
    parser.add_argument("--refresh", type=float, default=30.0,
                        help="while opening, a connection idle this many seconds sends one more request")
    parser.add_argument("--workers", type=int, default=16, help="connections opened concurrently")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds to wait before the warm-up connection and the baseline reading")
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(args.cert, args.key)
    context.set_alpn_protocols(["http/1.1"])
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()

    # The baseline is read after --settle seconds (`gatehouse serve` gives its start-up pages back 1 s after it
    # starts listening), then one connection that runs the whole path: its code is resident from then on, not a
    # cost of each connection.
    time.sleep(args.settle)
    _, warm_up = open_connection(context, args.host, args.port, request)
    warm_up.close()
    time.sleep(0.2)
    before = rss_kib(args.pids)
    # Connections in the order of their last answer. While the others are still being opened, one whose last
    # answer is older than --refresh seconds asks again: on a slow machine opening all of them can take longer
    # than the server's idle timeout, and a connection after its second answer holds what it held after its first.
    answered = collections.deque()
    failures = []
    refreshed = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        pending = {pool.submit(open_connection, context, args.host, args.port, request) for _ in range(args.count)}
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=1.0)
            for future in done:
                try:
                    answered.append(future.result())
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    failures.append(f"opening: {error!r}")
            # All the due requests are sent before any answer is read: the server answers them together.
            due = []
            while pending and answered and time.monotonic() - answered[0][0] > args.refresh:
                due.append(answered.popleft())
            sent = []
            for since, connection in due:
                try:
                    connection.sendall(request)
                    sent.append((since, connection))
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    failures.append(f"asking again after {time.monotonic() - since:.0f} s: {error!r}")
            for since, connection in sent:
                try:
                    read_answer(connection)
                    answered.append((time.monotonic(), connection))
                    refreshed += 1
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    failures.append(f"asking again after {time.monotonic() - since:.0f} s: {error!r}")
    connections = [connection for _, connection in answered]
    opened_in = time.monotonic() - started
    if failures:
        print(f"FAIL idle-connections: {len(failures)} of {args.count} connections failed "
              f"({refreshed} refreshed, {opened_in:.1f} s), first: {failures[0]}", file=sys.stderr)
        return 1
    time.sleep(args.hold)
    after = rss_kib(args.pids)
    alive = still_open(connections)
    for connection in connections:
        connection.close()
    if len(alive) != args.count:
        print(f"FAIL idle-connections: the server closed {args.count - len(alive)} of {args.count} idle "
              f"connections ({refreshed} refreshed, {opened_in:.1f} s)", file=sys.stderr)
        return 1
    per_connection = (after - before) / args.count
    print(f"IDLE count={args.count} rss_before_kib={before} rss_after_kib={after} "
          f"per_connection_kib={per_connection:.1f} opened_in_s={opened_in:.1f} refreshed={refreshed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The WSGI application as a server runs it (waitress, as ``cityline serve`` does)."""

from __future__ import annotations

import socket
import threading

import pytest
from waitress import create_server

from cityline.wsgi import application

PAGE = b"/account/sign-in/"

pytestmark = pytest.mark.django_db(transaction=True)  # the server's threads read the test database


def test_head_answers_have_no_body_so_a_kept_connection_reads_the_next_answer_whole():
    server = create_server(application, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        host, port = server.getsockname()[:2]
        with socket.create_connection((host, port), timeout=30) as conn:
            conn.sendall(b"HEAD " + PAGE + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
                         b"GET " + PAGE + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
        head, rest = received.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length:" in head
        assert rest.startswith(b"HTTP/1.1 200"), rest[:80]  # the GET's answer comes right after the HEAD's headers
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        get_head, get_body = rest.split(b"\r\n\r\n", 1)
        assert len(get_body) == length and b"<html" in get_body[:200]  # HEAD announced the GET's length
    finally:
        server.close()
        thread.join(timeout=10)

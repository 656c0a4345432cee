"""What the test servers of tests/python share: serving a WSGI or ASGI
application on loopback, quietly, on a thread, and waiting until one
accepts connections."""

import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve_wsgi(app, port=0):
    """Serves `app` on a thread; its port (a free one unless given)."""
    server = make_server("127.0.0.1", port, app, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port


def bound():
    """A socket bound to a free loopback port, for an application that
    must know its own URL before it is served (`serve_asgi`'s `sock`)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def serve_asgi(app, sock=None):
    """Serves `app` with uvicorn on a thread, on `sock` (else a free
    port); its port (uvicorn starts in the thread: see `accepting`)."""
    import uvicorn

    sock = sock or bound()
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    return sock.getsockname()[1]


def accepting(port):
    """Returns once something accepts on `port` (five seconds at most)."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            threading.Event().wait(0.05)

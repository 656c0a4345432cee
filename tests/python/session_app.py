"""A web application as Django builds one: its pages behind @login_required,
which sends a request without a signed-in session to the login page
(302 to /accounts/login/?next=...), sessions in signed cookies. So that the
doctor is tested on a page that answers a missing or refused session with a
redirect to sign in, not with a 401.

Run as `python session_app.py`: prints the port, then serves on loopback
until standard input closes.
"""

import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="tests-only-not-a-secret",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


@login_required
def dashboard(request):
    return HttpResponse(f"hello {request.user.username}")


def login(request):
    return HttpResponse(
        '<form method="post"><input name="username"><input type="password" name="password"></form>',
        content_type="text/html",
    )


urlpatterns = [path("dashboard", dashboard), path("accounts/login/", login)]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_port, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()

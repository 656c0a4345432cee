"""A Django application as `django-admin startproject` protects it: the
CSRF middleware on, a view that takes a POST. `authdoctor diagnose` sends
a POST without the CSRF token, as a script that copied a browser's session
cookie does. Usage: csrf_django.py PORT (serves until killed)."""

import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="csrf-test-only-" + "k" * 40,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    INSTALLED_APPS=[],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def orders(request):
    return JsonResponse({"orders": []})


urlpatterns = [path("orders", orders)]

if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    from loopback import Quiet

    make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), handler_class=Quiet).serve_forever()

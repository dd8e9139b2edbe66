import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plum.settings")

application = get_wsgi_application()

from plum.checks import assert_all_scopes_declared  # noqa: E402 - needs Django set up

assert_all_scopes_declared()  # refuse to serve an endpoint that declares no scopes

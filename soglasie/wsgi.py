"""WSGI entry point (gunicorn serves it under `make run`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soglasie.settings")
application = get_wsgi_application()

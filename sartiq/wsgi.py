import io
import json
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartiq.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by the line above)
from django.core.exceptions import RequestDataTooBig  # noqa: E402

from sartiq.api.errors import request_error  # noqa: E402


class TerminatedInput:
    """Reads a body that comes without Content-Length (`Transfer-Encoding: chunked`, which gunicorn
    decodes and marks `wsgi.input_terminated`). Django reads such a body as empty (ticket #35838,
    open in 5.2), so a chunked POST or PATCH was validated as `{}`. The body is read here, up to
    DATA_UPLOAD_MAX_MEMORY_SIZE (413 beyond, as for a body that declares its length), and handed to
    Django with its length."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.input_terminated") and "HTTP_TRANSFER_ENCODING" in environ \
                and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read() if limit is None else environ["wsgi.input"].read(limit + 1)
            if limit is not None and len(body) > limit:
                status, detail = request_error(RequestDataTooBig())
                start_response(f"{status} Request Entity Too Large", [("Content-Type", "application/json")])
                return [json.dumps({"detail": detail}).encode()]
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)


application = TerminatedInput(django_application)

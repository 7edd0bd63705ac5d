# The production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 sartiq \
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       INTEGRATION_SECRETS_KEY="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
       DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/sartiq/metrics \
    && chown -R sartiq /app /var/lib/sartiq
USER sartiq

EXPOSE 8000
# Every interface inside the container (compose publishes the port); sartiq/gunicorn_conf.py: signed URLs
# redacted from the access log, gunicorn's own error answers in JSON.
CMD ["gunicorn", "-c", "python:sartiq.gunicorn_conf", "sartiq.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]

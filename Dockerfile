# The application image used by docker-compose.yml for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# gettext: compiled translations are built into the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin permits

WORKDIR /app
COPY . /app
# Editable: templates, locale and manage.py are read from /app.
RUN pip install -e . \
    && if [ -d locale ]; then \
         DEBUG=true DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only \
         python manage.py compilemessages; \
       fi \
    && mkdir -p /app/staticfiles /var/lib/permits/ledger-checkpoints \
    && chown permits:permits /app/staticfiles /var/lib/permits/ledger-checkpoints

USER permits
EXPOSE 8000
CMD ["gunicorn", "--config", "python:config.gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket"]

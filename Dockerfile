# passdesk: one image for web (gunicorn), worker and beat. See docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# CJK fonts for rendered passes and previews; gettext is not needed (the .mo files are shipped).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md manage.py gunicorn.conf.py ./
COPY config ./config
COPY passes ./passes
RUN pip install .

# Static files are collected into the image (served by WhiteNoise); private files and signing
# keys live in volumes under /app/var, owned by the unprivileged user the processes run as.
ENV DJANGO_SETTINGS_MODULE=config.settings \
    PASSDESK_VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    MEDIA_ROOT=/app/var/media \
    PASSDESK_SIGNING_KEY_DIR=/app/var/signing-keys
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789abcdef \
    python manage.py collectstatic --noinput -v0 \
 && useradd --create-home --uid 1000 passdesk \
 && mkdir -p /app/var/media /app/var/signing-keys \
 && chown -R passdesk:passdesk /app/var
USER passdesk

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--forwarded-allow-ips", "*"]

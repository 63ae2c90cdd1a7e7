"""Static files as production serves them: collected with hashed names, compressed with
gzip and Brotli, and served by WhiteNoise from gunicorn with far-future caching."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SERVE = """
import json, re, django
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/").content.decode()
css = re.search(r'href="(/static/css/ninety\\.[0-9a-f]{12}\\.css)"', page).group(1)
br = client.get(css, HTTP_ACCEPT_ENCODING="gzip, br")
gz = client.get(css, HTTP_ACCEPT_ENCODING="gzip")
plain = client.get("/static/css/ninety.css")
print(json.dumps({
    "css": css,
    "br": [br.status_code, br.get("Content-Encoding"), br.get("Cache-Control")],
    "gz": [gz.status_code, gz.get("Content-Encoding")],
    "unhashed": [plain.status_code, plain.get("Cache-Control")],
    "nosniff": br.get("X-Content-Type-Options"),
}))
"""


def test_static_files_are_hashed_compressed_and_cached_for_good(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PATH": "",
        "STATIC_ROOT": str(tmp_path / "static"),
        "STATIC_MANIFEST": "true",
        "NINETY_VAR_DIR": str(tmp_path / "var"),
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = tmp_path / "static" / manifest["css/ninety.css"]
    assert hashed.name != "ninety.css"
    assert Path(f"{hashed}.gz").exists() and Path(f"{hashed}.br").exists()

    served = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    result = json.loads(served.stdout.strip().splitlines()[-1])
    assert result["css"] == f"/static/{manifest['css/ninety.css']}"
    status, encoding, cache = result["br"]
    assert (status, encoding) == (200, "br")
    assert "max-age=315360000" in cache and "immutable" in cache
    assert result["gz"] == [200, "gzip"]
    # The unhashed name still answers (for old pages), but is not cached for good.
    assert result["unhashed"][0] == 200 and "immutable" not in (result["unhashed"][1] or "")
    assert result["nosniff"] == "nosniff"

"""Eight decompression bombs at once against a real server process (issue #10, finding 8).

gunicorn (2 workers x 4 threads, so all eight requests run at the same time) serves the test
database; the test sends 13000x13000 PNGs (~480 KiB each, ~500 MB decoded) on the three upload
paths at once and samples the resident memory of the master and every worker meanwhile. Each
request must be answered 422 and every process must stay under RSS_CEILING. Before the bounds,
each such request peaked at about 1.3 GB.
"""
from __future__ import annotations

import base64
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psutil
import pytest
from django.conf import settings

from conftest import client_for
from sartiq.api.auth import create_access_token
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bomb
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import ShotRevision
from tests.servers import database_url, gunicorn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[3]
REQUESTS = 8
RSS_CEILING = 250 * 1024 * 1024  # per process: a booted worker is ~100 MiB; one decoded bomb is ~500 MiB


@pytest.fixture
def server(tmp_path):
    """A gunicorn process tree on the test database, ready when this yields its base URL."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
           "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT), "SECRET_KEY": settings.SECRET_KEY,
           "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0"}
    log = tmp_path / "gunicorn.log"
    with gunicorn(["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "120"],
                  env, log, headers=HTTPS) as (base, process):
        process.log = log
        yield base, process


# As a TLS-terminating proxy would forward it (production settings trust X-Forwarded-Proto).
HTTPS = {"X-Forwarded-Proto": "https"}


class TreeRss:
    """The peak resident memory of each process of a process tree, sampled in a thread."""

    def __init__(self, root: psutil.Process):
        self.root, self.peaks, self.running = root, {}, True

    def _sample(self):
        while self.running:
            for process in [self.root, *self.root.children(recursive=True)]:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)
            time.sleep(0.005)

    def __enter__(self):
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def test_eight_bombs_at_once_keep_every_server_process_under_the_ceiling(user, server):
    base, process = server
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    token, _ = create_access_token(user.pk)
    auth = {"Authorization": f"Bearer {token}", **HTTPS}
    bomb = png_bomb()
    targets = [client_for(user).get(f"/api/v1/shots/revisions/upload-url?filename=b.png&content_type=image/png"
                                    f"&shot_id={shot.pk}").json() for _ in range(3)]

    def media(_):
        return httpx.post(f"{base}/api/v1/media-resources/", headers=auth, files={"file": ("b.png", bomb, "image/png")},
                          timeout=120)

    def put(index):
        return httpx.put(base + urlparse(targets[index % 3]["upload_url"]).path, content=bomb,
                         headers={"Content-Type": "image/png", **HTTPS}, timeout=120)

    def revision(_):
        return httpx.post(f"{base}/api/v1/shots/{shot.pk}/revision", headers=auth, timeout=120, json={
            "shot_status": "PROPOSAL", "images": [{"image_data": base64.b64encode(bomb).decode()}]})

    calls = [media, put, revision, media, put, revision, media, put][:REQUESTS]
    with TreeRss(psutil.Process(process.pid)) as memory, ThreadPoolExecutor(len(calls)) as pool:
        responses = list(pool.map(lambda item: item[1](item[0]), enumerate(calls)))

    print("peak RSS per process (MiB):", {pid: peak >> 20 for pid, peak in memory.peaks.items()})
    assert len(memory.peaks) == 3, "the master and both workers were sampled"
    over = {pid: peak >> 20 for pid, peak in memory.peaks.items() if peak >= RSS_CEILING}
    assert not over, f"processes over {RSS_CEILING >> 20} MiB (pid: MiB): {over}; log:\n{process.log.read_text()}"
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["msg"] == "Value error, Image is too large"
    assert not MediaResource.objects.exists() and not ShotRevision.objects.exists()

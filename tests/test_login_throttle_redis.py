"""Issue #10, finding 10: the login throttles count in Redis, so that every process sees one count.

A real Redis (the embedded one, on a Unix socket as `make run` starts it) and two processes: this
test process and a subprocess that logs in through Django's test client on the same database.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis
from django.conf import settings

from sartiq.accounts import throttling
from sartiq.accounts.tests.factories import PASSWORD, UserFactory
from tests.servers import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parent.parent
TOKEN_URL = "/api/v1/login/access-token"



@pytest.fixture
def redis_counts(redis_server, settings):
    """The throttles of this process count in the test Redis (its `redis+socket://` URL, as
    REDIS_URL spells it under `make run`)."""
    settings.RATE_LIMIT_STORAGE_URL = redis_server.url
    client = redis.Redis(unix_socket_path=str(redis_server.socket))
    client.flushall()
    yield client
    client.flushall()


def logins_in_another_process(redis_server, attempts: list[tuple[str, str]], address: str, **env) -> list[int]:
    """Status codes of these (username, password) logins sent by a separate Python process."""
    script = textwrap.dedent(f"""
        import json, sys
        import django
        django.setup()
        from django.test.utils import setup_test_environment
        setup_test_environment()
        from django.test import Client
        client = Client(REMOTE_ADDR={address!r})
        codes = [client.post({TOKEN_URL!r}, {{"username": u, "password": p}}).status_code
                 for u, p in json.loads(sys.argv[1])]
        print(json.dumps(codes))
    """)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
                   "SECRET_KEY": settings.SECRET_KEY, "TEST_RATE_LIMIT_STORAGE_URL": redis_server.url,
                   **{k: str(v) for k, v in env.items()}}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(attempts)], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_failed_logins_of_two_processes_add_up_in_redis(anon, redis_server, redis_counts, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 4
    user = UserFactory()
    elsewhere = logins_in_another_process(redis_server, [(user.email, "wrong password")] * 2, "10.0.0.1",
                                          LOGIN_FAILURES_PER_ACCOUNT=4)
    assert elsewhere == [400, 400]
    here = [anon.post(TOKEN_URL, {"username": user.email, "password": "wrong password"}, REMOTE_ADDR="10.0.0.2")
            for _ in range(2)]
    assert [r.status_code for r in here] == [400, 400]
    throttled = anon.post(TOKEN_URL, {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 15 * 60
    # ... and the other process sees this process's count as well.
    assert logins_in_another_process(redis_server, [(user.email, PASSWORD)], "10.0.0.4",
                                     LOGIN_FAILURES_PER_ACCOUNT=4) == [429]
    keys = [key.decode() for key in redis_counts.keys("*")]
    assert keys and all(key.startswith("LIMITS") for key in keys)
    assert not any(user.email in key for key in keys)  # addresses are hashed


def test_requests_of_one_address_add_up_across_processes(anon, redis_server, redis_counts, settings):
    settings.AUTH_REQUESTS_PER_ADDRESS = 3
    user = UserFactory()
    elsewhere = logins_in_another_process(redis_server, [(user.email, PASSWORD)] * 2, "10.7.7.7",
                                          AUTH_REQUESTS_PER_ADDRESS=3)
    assert elsewhere == [200, 200]
    codes = [anon.post(TOKEN_URL, {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="10.7.7.7").status_code
             for _ in range(2)]
    assert codes == [200, 429]
    assert anon.post(TOKEN_URL, {"username": user.email, "password": PASSWORD}, REMOTE_ADDR="10.7.7.8").status_code == 200


def test_the_default_storage_is_the_redis_of_redis_url():
    assert settings.RATE_LIMIT_STORAGE_URL == "memory://"  # the test settings' in-process store
    from sartiq import settings as production_settings

    assert production_settings.RATE_LIMIT_STORAGE_URL == production_settings.REDIS_URL
    assert throttling.storage_url().startswith("memory://")

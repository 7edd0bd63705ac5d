"""The one-host deployment file describes every service, configured by environment variables."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_every_service_with_its_configuration():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "minio", "minio-bucket", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL",
                         "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            assert variable in env, f"{name} lacks {variable}"
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()
    assert services["worker"]["command"][:4] == ["celery", "-A", "sartiq", "worker"]
    assert "generation,styling,integrations" in " ".join(services["worker"]["command"])
    assert services["beat"]["command"][:4] == ["celery", "-A", "sartiq", "beat"]
    assert "mc mb" in " ".join(services["minio-bucket"]["command"])


def test_ci_runs_exactly_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme


def test_web_and_worker_sum_their_counters_in_one_volume_emptied_before_they_start(tmp_path):
    """/metrics sums the counters of gunicorn's workers and the Celery pool only when they share
    PROMETHEUS_MULTIPROC_DIR (docs/operations.md); without it each scrape answered one web worker's."""
    import subprocess
    import sys

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    directory = services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    for name in ("web", "worker"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == directory
        assert "DATABASE_URL" in services[name]["environment"]
        assert any(volume.split(":")[1] == directory for volume in services[name]["volumes"])
        assert services[name]["depends_on"]["metrics-reset"] == {"condition": "service_completed_successfully"}
    reset = services["metrics-reset"]
    assert any(volume.split(":")[1] == directory for volume in reset["volumes"])
    assert f"mkdir -p {directory}" in (ROOT / "Dockerfile").read_text()  # owned by the app's user
    # The reset's own command empties a directory of a previous run's files.
    (tmp_path / "counter_1.db").write_bytes(b"old")
    (tmp_path / "sub").mkdir()
    command = reset["command"]
    assert command[:2] == ["python", "-c"]
    subprocess.run([sys.executable, "-c", command[2].replace(directory, str(tmp_path))], check=True)
    assert list(tmp_path.iterdir()) == []

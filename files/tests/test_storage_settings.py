"""Where the bytes go: a directory under ``SOGLASIE_VAR_DIR`` by default, an S3-compatible bucket
with ``FILES_STORAGE=s3`` (django-storages). No S3 service is reached: these check the wiring."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from soglasie.env import env_files_storage

S3_ENV = {
    "FILES_STORAGE": "s3",
    "FILES_S3_BUCKET": "soglasie-docs",
    "FILES_S3_ENDPOINT_URL": "https://storage.yandexcloud.example",
    "FILES_S3_REGION": "ru-central1",
    "FILES_S3_ACCESS_KEY_ID": "key-id",
    "FILES_S3_SECRET_ACCESS_KEY": "key-secret",
    "FILES_S3_PREFIX": "soglasie",
}


@pytest.fixture
def s3_env(monkeypatch):
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)


def test_the_default_is_a_directory_of_the_var_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("FILES_STORAGE", raising=False)
    assert env_files_storage("FILES_STORAGE", tmp_path / "files") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "files")},
    }


def test_s3_selects_django_storages_with_the_settings_from_the_environment(s3_env, tmp_path):
    config = env_files_storage("FILES_STORAGE", tmp_path)
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert config["OPTIONS"] == {
        "bucket_name": "soglasie-docs",
        "endpoint_url": "https://storage.yandexcloud.example",
        "region_name": "ru-central1",
        "access_key": "key-id",
        "secret_key": "key-secret",
        "location": "soglasie",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }


def test_django_storages_accepts_those_settings_and_points_at_the_endpoint(s3_env, tmp_path):
    pytest.importorskip("storages.backends.s3", reason="the soglasie[s3] extra is not installed")
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**env_files_storage("FILES_STORAGE", tmp_path)["OPTIONS"])
    client = storage.connection.meta.client  # built locally: no request is sent
    assert client.meta.endpoint_url == "https://storage.yandexcloud.example"
    assert client.meta.region_name == "ru-central1"
    assert storage.bucket_name == "soglasie-docs" and storage.file_overwrite is False


def test_the_setting_reaches_djangos_storages(tmp_path, manage_py):
    """The whole wiring, in a fresh process: settings.py → STORAGES['files'] → the backend class."""
    pytest.importorskip("storages.backends.s3", reason="the soglasie[s3] extra is not installed")
    environment = {**os.environ, **S3_ENV, "SOGLASIE_VAR_DIR": str(tmp_path)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    code = "from django.core.files.storage import storages as s; f = s['files']; print(type(f).__name__, f.bucket_name)"
    result = manage_py("shell", "--no-imports", "-c", code, env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "soglasie-docs"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"FILES_STORAGE": "ftp"}, "FILES_STORAGE"),
        ({"FILES_S3_BUCKET": ""}, "FILES_S3_BUCKET"),
        ({"FILES_S3_ENDPOINT_URL": "storage.example:9000"}, "FILES_S3_ENDPOINT_URL"),
    ],
)
def test_a_bad_setting_is_named(s3_env, monkeypatch, tmp_path, changes, named):
    for name, value in changes.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=named):
        env_files_storage("FILES_STORAGE", tmp_path)


def test_manage_py_says_one_sentence_for_a_bad_storage(tmp_path, manage_py):
    environment = {**os.environ, "FILES_STORAGE": "s3", "FILES_S3_BUCKET": "", "SOGLASIE_VAR_DIR": str(tmp_path)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    result = manage_py("check", env=environment)
    assert result.returncode != 0 and "FILES_S3_BUCKET" in result.stderr and "Traceback" not in result.stderr

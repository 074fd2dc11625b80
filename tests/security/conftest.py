import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests do not run collectstatic: serve static names without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

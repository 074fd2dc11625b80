"""Long work in the background: a durable job row, claimed and run by a Celery task."""

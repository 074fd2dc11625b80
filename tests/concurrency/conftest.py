import pytest


@pytest.fixture(autouse=True)
def _restore_celery_join_guard():
    """Eager tasks run in racing threads flip Celery's process-wide "inside a task"
    flag without locking; put it back so later tests can call ``.get()``."""
    from celery._state import _set_task_join_will_block, task_join_will_block

    before = task_join_will_block()
    yield
    _set_task_join_will_block(before)

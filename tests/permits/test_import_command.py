"""python manage.py import_permits FILE --as USERNAME: the import from a shell."""

import io

import pytest
from django.core.management import CommandError, call_command

from permits.models import Decision, Permit
from tests.importfiles import permits_rows, row, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_permits", str(path), *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_a_file_and_a_second_run_changes_nothing(tmp_path, official):
    path = tmp_path / "export.xlsx"
    path.write_bytes(to_xlsx(permits_rows(5, items=2)))
    out, _err = _run(path, "--as", official.username)
    assert out.startswith("created 5, unchanged 0")
    assert Permit.objects.count() == 5 and Decision.objects.filter(kind="issue", decided_by=official).count() == 5
    out, _err = _run(path, "--as", official.username)
    assert out.startswith("created 0, unchanged 5") and Decision.objects.count() == 5


def test_a_file_with_errors_lists_them_and_writes_nothing(tmp_path, official):
    path = tmp_path / "export.csv"
    path.write_bytes(to_csv([row("OK-001"), row("BAD-001", valid_until="2019-01-01")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was recorded"):
        call_command("import_permits", str(path), "--as", official.username, "--no-progress", stderr=err)
    assert "row 3, valid_until:" in err.getvalue()
    assert not Permit.objects.exists()


def test_the_progress_bar_counts_every_row(tmp_path, official, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(to_csv(permits_rows(120)))
    call_command("import_permits", str(path), "--as", official.username, stdout=io.StringIO())
    assert "120/120" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [(b"\x00\x01\x02", "NUL"), (b"", "empty")])
def test_hostile_files_are_refused_with_a_message(tmp_path, official, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        _run(path, "--as", official.username)


def test_only_an_official_may_import(tmp_path, reader):
    path = tmp_path / "export.csv"
    path.write_bytes(to_csv(permits_rows(1)))
    with pytest.raises(CommandError, match="not an active official"):
        _run(path, "--as", reader.username)
    with pytest.raises(CommandError, match="not an active official"):
        _run(path, "--as", "nobody-at-all")
    assert not Permit.objects.exists()


def test_a_missing_file_is_a_message(tmp_path, official):
    with pytest.raises(CommandError, match="Cannot read"):
        _run(tmp_path / "missing.csv", "--as", official.username)

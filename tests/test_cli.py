import shutil
import subprocess
import sys

import pytest

from districtstat.cli import main, parser
from helpers import ROOT, make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    return root, make_project(root, students=3000)


@pytest.mark.parametrize("command", ["example", "validate", "build", "notebooks", "survey", "new"])
def test_every_subcommand_explains_itself(command):
    result = subprocess.run([sys.executable, "-m", "districtstat.cli", command, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert parser()._subparsers._group_actions[0].choices[command].description.split()[0] in result.stdout


def test_validate_good_data_exits_0(project, capsys):
    _, params = project
    assert main(["validate", "--params", str(params)]) == 0
    err = capsys.readouterr().err
    assert "no problems in 10 files" in err
    assert "survey transportation: 11 of 14 districts answered; not answered yet: D05, D09, D13" in err, "the survey answers are checked too"


def test_validate_broken_copy_prints_file_line_column_rule_value_and_exits_1(project, capsys, monkeypatch):
    root, _ = project
    broken = root / "broken"
    shutil.copytree(root / "data" / "synthetic", broken)
    scores = (broken / "assessments.csv").read_text().splitlines()
    header = scores[0].split(",")
    row = scores[4].split(",")
    row[header.index("scale_score")] = "950.0"
    scores[4] = ",".join(row)
    (broken / "assessments.csv").write_text("\n".join(scores) + "\n")
    monkeypatch.chdir(root)
    assert main(["validate", "--data", "broken"]) == 1
    err = capsys.readouterr().err
    assert "broken/assessments.csv:5: scale_score: maximum 900 (950.0)" in err
    assert err.strip().splitlines()[-1] == "1 problem in 1 file"


def test_usage_errors_exit_2(project, tmp_path, capsys):
    root, _ = project
    assert main(["validate", "--data", str(tmp_path / "missing")]) == 2
    bad = root / "params" / "bad.yml"
    bad.write_text("title: x\ndataset: synthetic\ndata_dir: d\nrelease: r1\nefficency: {}\n")
    assert main(["build", "--params", str(bad)]) == 2
    assert "params/bad.yml: efficency: unknown key" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["build", "--renderer", "word"])
    assert caught.value.code == 2


def test_example_writes_the_dataset_and_its_planted_truths(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["example", "synthetic", "--out", str(tmp_path / "ex"), "--students", "2000"]) == 0
    written = sorted(p.name for p in (tmp_path / "ex").iterdir())
    assert "planted_truths.json" in written and "assessments.csv" in written

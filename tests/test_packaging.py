"""A normal (non-editable) wheel install finds its templates, config and demo data."""

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installed_into_another_virtualenv_runs_the_demo(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("district_radar-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("worker/_templates/digest.html", "worker/_templates/digest.txt",
                   "worker/_config/radar.yaml", "worker/_config/sources.yaml",
                   "worker/demo/site/projects.xml", "worker/demo/subscribers.yaml",
                   "worker/store/migrations/env.py",
                   "worker/store/migrations/versions/0001_initial_schema.py"):
        assert needed in names, needed

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, timeout=300)
    # Dependencies come from this environment; `worker` itself only from the wheel.
    deps = {"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin"}
    where = subprocess.run(
        [python, "-c", "import worker.resources as r; print(r.templates_dir(), "
                       "r.default_config_dir())"],
        cwd=tmp_path, env=deps, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(env_dir)), where.stdout
    demo = subprocess.run([env_dir / "bin" / "radar", "demo", "--dir", "var/demo"],
                          cwd=tmp_path, env=deps, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert "Digests sent: 4" in demo.stdout

"""The catalogue of real Tianjin sources: every entry loads as a sources.yaml entry, it
covers every district and 滨海新区's zones, and `radar sources catalogue/add` work."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.processes import environment_without_settings, run_radar
from worker.catalogue import catalogue
from worker.districts import Gazetteer
from worker.sources_config import load_sources, source_from_mapping

DISTRICTS = ("和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "东丽区", "西青区",
             "津南区", "北辰区", "武清区", "宝坻区", "滨海新区", "宁河区", "静海区", "蓟州区")
ZONES = ("天津经济技术开发区", "天津港保税区", "滨海高新区", "中新天津生态城", "东疆综合保税区")


def radar(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_radar(*args, cwd=cwd, env=environment_without_settings())


def test_every_entry_is_a_valid_source(gazetteer: Gazetteer) -> None:
    entries = catalogue()
    assert len({e.id for e in entries}) == len(entries) >= 80
    for entry in entries:
        source = source_from_mapping(entry.as_source(), f"catalogue: {entry.id}", gazetteer)
        assert source.url.startswith(("http://", "https://"))
        # a policy list gives titles only: its deadlines and document numbers are in the text
        assert source.details == (entry.category == "policy" and entry.kind == "html")


def test_every_district_and_main_zone_is_covered(gazetteer: Gazetteer) -> None:
    covered = {gazetteer.resolve(e.district) for e in catalogue() if e.district}
    zones_of_binhai = {gazetteer.resolve(z) for z in ZONES}
    assert None not in zones_of_binhai
    assert {gazetteer.resolve(d) for d in DISTRICTS} - covered == set()
    assert zones_of_binhai - covered == set()


def test_list_and_add(tmp_path: Path, gazetteer: Gazetteer) -> None:
    listed = radar(tmp_path, "sources", "catalogue", "--district", "武清")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows and all(row[2] == "武清区" for row in rows)
    policy = next(row[0] for row in rows if row[1] == "policy")
    other = next(row[0] for row in rows if row[0] != policy)
    (tmp_path / "sources.yaml").write_text("# mine\nsources: []\n", encoding="utf-8")
    (tmp_path / "radar.yaml").write_text("sources_file: sources.yaml\n", encoding="utf-8")
    added = radar(tmp_path, "--config", "radar.yaml", "sources", "add", policy, other,
                  policy)
    assert added.returncode == 0, added.stderr
    assert f"added: {policy}" in added.stdout
    text = (tmp_path / "sources.yaml").read_text(encoding="utf-8")
    assert text.startswith("# mine\n") and "not verified" in text  # comments kept and said
    loaded = {s.id: s for s in load_sources(tmp_path / "sources.yaml", gazetteer)}
    assert loaded[policy].details and loaded[policy].district == "武清区"
    again = radar(tmp_path, "--config", "radar.yaml", "sources", "add", policy)
    assert f"already there: {policy}" in again.stdout
    assert len(yaml.safe_load((tmp_path / "sources.yaml").read_text("utf-8"))["sources"]) \
        == len(loaded)
    unknown = radar(tmp_path, "--config", "radar.yaml", "sources", "add", "no-such-source")
    assert unknown.returncode == 2 and "not in the catalogue: no-such-source" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_adding_never_loses_what_the_file_had(tmp_path: Path, gazetteer: Gazetteer) -> None:
    mine = ("  - {id: mine, name: 我的, kind: rss, url: 'https://example.gov.cn/f.xml', "
            "category: project}\n")
    (tmp_path / "radar.yaml").write_text("sources_file: sources.yaml\n", encoding="utf-8")
    entry = catalogue()[0].id
    for head in ("\ufeffsources:\n", '"sources":\n'):  # Notepad's BOM, a quoted key
        (tmp_path / "sources.yaml").write_text(head + mine, encoding="utf-8")
        added = radar(tmp_path, "--config", "radar.yaml", "sources", "add", entry)
        assert added.returncode == 0, added.stderr
        loaded = {s.id for s in load_sources(tmp_path / "sources.yaml", gazetteer)}
        assert loaded == {"mine", entry}

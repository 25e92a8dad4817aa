from datetime import time
from pathlib import Path

from worker.districts import Gazetteer
from worker.models import Schedule
from worker.subscribers_io import read_subscribers

FIXTURES = Path(__file__).parent / "fixtures" / "subscribers"

YAML = """\
subscribers:
  - email: Investor@Example.com
    name: 王先生
    districts: [武清, 滨海新区]
    categories: [project, 优惠政策]
    keywords: 新能源、智能制造
    exclude: [招聘]
    frequency: weekly
    send_at: "fri 17:30"
    timezone: Europe/Berlin
  - email: not-an-address
  - email: b@example.com
    districts: [上海]
  - email: c@example.com
    frequency: hourly
  - email: d@example.com
    frequency: daily
    send_at: "25:00"
  - email: e@example.com
    distrcts: [武清]
  - email: investor@example.com
  - just a string
  - email: f@example.com
    timezone: Mars/Olympus
  - email: g@example.com
"""


def test_yaml_rows_good_and_bad(gazetteer: Gazetteer) -> None:
    good, bad = read_subscribers(YAML, "subs.yaml", gazetteer)
    assert [s.email for s in good] == ["investor@example.com", "g@example.com"]
    first = good[0]
    assert first.name == "王先生"
    assert first.districts == ("武清区", "滨海新区")
    assert first.categories == ("project", "policy")
    assert first.keywords == ("新能源", "智能制造")
    assert first.schedule == Schedule("weekly", time(17, 30), 4, "Europe/Berlin")
    assert good[1].schedule == Schedule("weekly", time(9, 0), 0, "Asia/Shanghai")
    messages = [str(e) for e in bad]
    expected = [
        "subs.yaml: line 11 (subscribers[1]): email: 'not-an-address' is not valid",
        "subs.yaml: line 12 (subscribers[2]): districts: unknown district '上海'",
        "subs.yaml: line 14 (subscribers[3]): frequency: unknown value 'hourly'",
        "subs.yaml: line 16 (subscribers[4]): send_at: '25:00' is not a time",
        "subs.yaml: line 19 (subscribers[5]): unknown field(s) distrcts",
        "subs.yaml: line 21 (subscribers[6]): investor@example.com already appears at "
        "subs.yaml: line 2 (subscribers[0])",
        "subs.yaml: subscribers[7]: expected a mapping",
        "subs.yaml: line 23 (subscribers[8]): timezone: unknown timezone 'Mars/Olympus'",
    ]
    assert len(messages) == len(expected)
    for message, start in zip(messages, expected, strict=True):
        assert message.startswith(start), message


def test_csv_rows_with_line_numbers(gazetteer: Gazetteer) -> None:
    text = (
        "\ufeffemail,name,districts,categories,keywords,exclude,frequency,send_at,timezone\n"
        "a@example.com,李女士,西青;和平,policy,,,daily,08:30,\n"
        "bad@,x,,,,,,,\n"
        "c@example.com,\"Chen, Ltd\",,,AI|集成电路,,instant,,\n"
        "d@example.com,x,,,,,,,,extra\n"
    )
    good, bad = read_subscribers(text, "subs.csv", gazetteer)
    assert [(s.email, s.districts, s.keywords) for s in good] == [
        ("a@example.com", ("西青区", "和平区"), ()),
        ("c@example.com", (), ("AI", "集成电路")),
    ]
    assert good[0].schedule == Schedule("daily", time(8, 30), 0, "Asia/Shanghai")
    assert [str(e).split(":")[0:2] for e in bad] == [["subs.csv", " line 3"],
                                                     ["subs.csv", " line 5"]]
    assert "more values than the 9 header columns" in str(bad[1])


def test_header_injection_and_oversized_input_are_contained(gazetteer: Gazetteer) -> None:
    text = ("subscribers:\n"
            "  - email: a@example.com\n    name: \"Evil\\r\\nBcc: victim@example.com\"\n"
            f"  - email: b@example.com\n    keywords: [{', '.join(['词'] * 101)}]\n")
    good, bad = read_subscribers(text, "s.yaml", gazetteer)
    assert [s.name for s in good] == ["Evil Bcc: victim@example.com"]  # one line, no CR/LF
    assert "keywords: 101 terms, at most 100" in str(bad[0])


def test_csv_line_breaks_of_every_kind_and_broken_rows(gazetteer: Gazetteer) -> None:
    # found by the fuzzer: a lone \r raised the csv module's own error (a traceback)
    assert "header must name" in str(read_subscribers("\r0", "s.csv", gazetteer)[1][0])
    good, bad = read_subscribers("email,name\r\na@example.com,x\rb@example.com,y\n",
                                 "s.csv", gazetteer)
    assert [s.email for s in good] == ["a@example.com", "b@example.com"] and not bad
    huge = "email,name\na@example.com," + "x" * 200_000 + "\n"
    assert "s.csv: line 2: CSV syntax error: field larger than field limit" in str(
        read_subscribers(huge, "s.csv", gazetteer)[1][0])


def test_file_level_errors(gazetteer: Gazetteer) -> None:
    assert "YAML syntax error" in str(read_subscribers("subscribers: [", "s.yaml", gazetteer)[1][0])
    assert "expected a list" in str(read_subscribers("a: 1", "s.yaml", gazetteer)[1][0])
    assert "header must name" in str(read_subscribers("name\nx\n", "s.csv", gazetteer)[1][0])


def test_sample_subscribers_are_valid(gazetteer: Gazetteer) -> None:
    from worker.demo import sample_subscribers
    good, bad = read_subscribers(sample_subscribers().read_text(encoding="utf-8"),
                                 "subscribers.yaml", gazetteer)
    assert bad == [] and len(good) == 4

"""FrameMap: the source -> reference frame contract shared by conform, the imaging commands and recipes."""
import json

import pytest

from nuke_restore.errors import ConfigError
from nuke_restore.framemap import FrameMap, FrameMatch, load_frame_map


def test_offset_map_maps_every_frame_and_respects_its_range():
    fm = FrameMap.from_offset(-1000, first=1001, last=1024)
    assert fm.reference(1001) == 1
    assert fm.reference(1024) == 24
    assert fm.reference(1000) is None and fm.reference(1025) is None
    assert fm.offset == -1000
    assert fm.pairs([999, 1001, 1002]) == [(1001, 1), (1002, 2)]


def test_table_round_trips_through_json_and_reports_unmatched(tmp_path):
    fm = FrameMap({1001: FrameMatch(17, 0.98), 1002: FrameMatch(None, 0.0, "field-mixed"),
                   1003: FrameMatch(19, 0.9)}, cadence=[{"type": "2:3"}], breaks=[])
    path = tmp_path / "conform.json"
    path.write_text(fm.dumps())
    back = load_frame_map(path)
    assert back == fm
    assert back.reference(1002) is None and back.match(1002).reason == "field-mixed"
    assert [f for f in (1001, 1002, 1003) if back.reference(f) is None] == [1002]
    assert back.offset is None  # one frame has no match
    data = json.loads(path.read_text())
    assert data["frames"]["1002"] == {"reference": None, "reason": "field-mixed"}


def test_a_table_with_one_offset_throughout_reports_it():
    fm = FrameMap({10: FrameMatch(1), 11: FrameMatch(2)})
    assert fm.offset == -9


@pytest.mark.parametrize("data, field", [
    ({"frames": {"x": {"reference": 1}}}, "frames.x"),
    ({"frames": {"1": {"reference": 1.5}}}, "frames.1.reference"),
    ({"frames": {"1": {"reference": 1, "confidence": float("nan")}}}, "frames.1.confidence"),
    ({"offset": 10 ** 30}, "offset"),
    ({"offset": 0, "first": 5, "last": 1}, "last"),
    ({"frames": {}}, "frames"),
])
def test_bad_maps_name_file_and_field(tmp_path, data, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as err:
        load_frame_map(path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "offset": \n}')
    with pytest.raises(ConfigError, match=r"bad\.json:3"):
        load_frame_map(path)

"""Reading labelled CSV/TSV files: encodings, separators, whitespace, bad input."""
import pytest

from jiesu.dispatch.tabular import TableError, load_labelled

COLS = ["留言主题", "留言详情"]


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("sep", [",", "\t"])
def test_encodings_and_separators(tmp_path, encoding, sep):
    text = sep.join(["留言主题", "留言详情", "一级分类"]) + "\n" + sep.join(["路灯坏了", "晚上很黑", "城乡建设"]) + "\n"
    rows = load_labelled(write(tmp_path / "a.csv", text, encoding), COLS, "一级分类")
    assert rows.texts == ["路灯坏了\n晚上很黑"]
    assert rows.labels == ["城乡建设"]
    assert rows.delimiter == sep


def test_whitespace_missing_column_and_empty_labels(tmp_path):
    text = (" 留言主题 ,一级分类 \n"
            "  路灯坏了\u3000 , 城乡建设 \n"
            "没有标签,\n"
            ",环境保护\n"
            "学校乱收费,  \n"
            "公交太少,交通运输\n")
    rows = load_labelled(write(tmp_path / "t.csv", text), COLS, "一级分类")
    assert rows.texts == ["路灯坏了", "公交太少"]
    assert rows.labels == ["城乡建设", "交通运输"]
    assert rows.missing_text_columns == ["留言详情"]
    assert rows.skipped_no_label == [2, 4]
    assert rows.skipped_no_text == [3]
    assert rows.keys == ["路灯坏了", "公交太少"]


def test_missing_file_and_columns_are_named(tmp_path):
    with pytest.raises(TableError, match="nope.csv: file not found"):
        load_labelled(tmp_path / "nope.csv", COLS, "一级分类")
    p = write(tmp_path / "x.csv", "留言主题,类别\n路灯坏了,城乡建设\n")
    with pytest.raises(TableError, match="label column '一级分类' not found; columns are: 留言主题, 类别"):
        load_labelled(p, COLS, "一级分类")
    with pytest.raises(TableError, match="none of the text columns"):
        load_labelled(p, ["正文"], "类别")
    with pytest.raises(TableError, match="empty file"):
        load_labelled(write(tmp_path / "e.csv", ""), COLS, "一级分类")
    with pytest.raises(TableError, match="cannot decode"):
        load_labelled(_binary(tmp_path), COLS, "一级分类")


def _binary(tmp_path):
    p = tmp_path / "bin.csv"
    p.write_bytes(bytes([0x80, 0xFF, 0xFE, 0x81, 0x30]) * 10)
    return p

import pytest

from bot.handoff.summary import parse_for_whom


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("pour moi", "moi"),
        ("1", "moi"),
        ("mon fils de 4 ans", "enfant"),
        ("2", "enfant"),
        ("ma mère", "autre"),
        ("???", "autre"),
    ],
)
def test_parse_for_whom(answer: str, expected: str) -> None:
    assert parse_for_whom(answer) == expected

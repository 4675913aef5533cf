from accounts.fields import parse_public_or_numeric


def test_numeric_ids_are_ascii_digits():
    assert parse_public_or_numeric("42", "COM") == {"numeric_id": 42}
    # "¹".isdigit() is true and int("¹") fails: such an id is no id, not an error.
    assert parse_public_or_numeric("¹", "COM") is None
    assert parse_public_or_numeric("٣", "COM") is None

"""Small text rules shared by several pages: email addresses and grouped codes."""

import pytest

from lms.core.text import grouped, is_email


@pytest.mark.parametrize(
    "address", ["peserta@dinkes.go.id", "maria.goreti@example.go.id", "a+b@bkd.ntt.go.id", "x@kupang.id"]
)
def test_addresses_people_write_are_emails(address):
    assert is_email(address)


@pytest.mark.parametrize(
    "address",
    ["peserta@", "a b@c.id", "ani@x", "ani@x.i", "ani@x..id", "ani@.go.id", "a@b@c.id", "x" * 196 + "@b.id"],
)
def test_anything_else_is_not(address):
    assert not is_email(address)


def test_codes_are_grouped_in_fours():
    assert grouped("K7QM3XWDRT") == "K7QM-3XWD-RT"
    assert grouped("ABCD2345EFGH") == "ABCD-2345-EFGH"

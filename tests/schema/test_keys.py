import pytest

from finintel.errors import InputError
from finintel.schema import keys


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("0712 345 678", "KE", "+254712345678"),
        ("0712-345-678", "KE", "+254712345678"),
        ("254712345678", "KE", "+254712345678"),
        ("+254 712 345 678", "UG", "+254712345678"),  # international form ignores the default country
        ("00254712345678", "KE", "+254712345678"),
        ("0110 123456", "KE", "+254110123456"),
        ("0772 123456", "UG", "+256772123456"),
        ("256772123456", "KE", "+256772123456"),
        ("0911 234567", "ET", "+251911234567"),
        ("+251 91 123 4567", "KE", "+251911234567"),
        ("77 83 12 34", "DJ", "+25377831234"),
        ("0****393", "KE", None),
        ("07123", "KE", None),
        ("not a phone", "KE", None),
        ("", "KE", None),
    ],
)
def test_normalize_msisdn(text, country, expected):
    assert keys.normalize_msisdn(text, country) == expected


def test_msisdn_key_meets_across_sources():
    assert keys.msisdn_key("0712 345 678") == keys.msisdn_key("+254712345678") == "msisdn:+254712345678"


def test_masked_numbers_are_kept_masked():
    assert keys.msisdn_key("0****393") == "masked:0****393"
    assert keys.guess_key("0****393") == "masked:0****393"


def test_bad_phone_raises_with_example():
    with pytest.raises(InputError, match="0712 345 678"):
        keys.msisdn_key("12ab")


def test_evm_lower_cased_and_validated():
    assert (
        keys.evm_key("0xABCDEF0123456789abcdef0123456789ABCDEF01") == "eth:0xabcdef0123456789abcdef0123456789abcdef01"
    )
    with pytest.raises(InputError):
        keys.evm_key("0x123")


def test_tron_case_kept_and_hex_converted():
    assert keys.tron_key("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert keys.tron_key("0x41a614f803b6fd780986a42c78ec9c7f77e6ded13c") == "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    with pytest.raises(InputError):
        keys.tron_key("tr7nhqjekqxgtci8q8zy4pl8otszgjlj6t")  # lower-cased base58 is another (invalid) address


def test_btc_keys():
    assert keys.btc_key("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy") == "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    assert keys.btc_key("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").startswith("btc:bc1q")
    with pytest.raises(InputError):
        keys.btc_key("0xabc")


def test_iban_checksum_and_bank_keys():
    assert keys.is_valid_iban("GB82 WEST 1234 5698 7654 32")
    assert not keys.is_valid_iban("GB82 WEST 1234 5698 7654 33")
    assert keys.bank_account_key("GB82WEST12345698765432") == "iban:GB82WEST12345698765432"
    # a number that looks like an IBAN but fails the checksum stays a plain account
    assert keys.bank_account_key("GB82WEST12345698765433", "Barclays").startswith("acct:BARCLAYS/")
    assert keys.bank_account_key("01-002-345678", "KCB Bank") == "acct:KCB-BANK-KENYA/01002345678"
    # a bank named, given by an older name, or by its BIC (8 or 11) is one institution
    assert {
        keys.bank_account_key("123", i)
        for i in ("Absa Bank Kenya", "BARCLAYS BANK OF KENYA LTD", "BARCKENX", "BARCKENXXXX")
    } == {"acct:ABSA-BANK-KENYA/123"}
    with pytest.raises(InputError):
        keys.bank_account_key("  ")


def test_guess_key_classifies():
    assert keys.guess_key("msisdn:+254712345678") == "msisdn:+254712345678"
    assert keys.guess_key("GB82 WEST 1234 5698 7654 32") == "iban:GB82WEST12345698765432"
    assert keys.guess_key("0712345678") == "msisdn:+254712345678"
    assert keys.guess_key("JANE DOE") is None

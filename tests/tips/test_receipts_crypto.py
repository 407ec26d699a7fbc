"""Receipts and encryption: pure computation."""

from __future__ import annotations

import math
import re

from cryptography.fernet import Fernet

from citizenvoice.tips import receipts, triage
from citizenvoice.tips.crypto import TipCrypto, day_start

CONFIG = {"SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789"}


def test_receipts_carry_at_least_128_bits_and_read_as_8_groups_of_4() -> None:
    receipt = receipts.new_receipt()
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", receipt)
    assert receipts.RECEIPT_BYTES * 8 >= 128
    assert 32 * math.log2(32) >= 128


def test_no_collision_in_100000_receipts() -> None:
    seen = {receipts.new_receipt() for _ in range(100_000)}
    assert len(seen) == 100_000


def test_receipts_forgive_case_spaces_dashes_and_lookalikes() -> None:
    receipt = receipts.new_receipt()
    raw = receipt.replace("-", "")
    assert receipts.normalize(receipt) == raw
    assert receipts.normalize(" " + receipt.lower().replace("-", " ") + "\n") == raw
    assert receipts.normalize(raw.replace("O", "0").replace("I", "1").replace("B", "8")) == raw
    for bad in ("", "ABCD", raw + "A", raw[:-1] + "9", raw[:-1] + "\x00"):
        assert receipts.normalize(bad) is None


def test_receipt_hash_is_keyed_and_stable() -> None:
    one = TipCrypto(CONFIG)
    other = TipCrypto({**CONFIG, "TIPS_RECEIPT_KEY": "another-receipt-key-0123456789abcdef"})
    raw = receipts.normalize(receipts.new_receipt())
    assert raw
    assert one.receipt_hash(raw) == TipCrypto(CONFIG).receipt_hash(raw)
    assert one.receipt_hash(raw) != other.receipt_hash(raw)
    assert raw not in one.receipt_hash(raw)
    assert len(one.receipt_hash(raw)) == 64


def test_encryption_round_trip_hides_the_text_and_the_time_of_day() -> None:
    box = TipCrypto(CONFIG)
    token = box.encrypt("Figures for May were invented")
    assert "invented" not in token
    assert box.decrypt(token) == "Figures for May were invented"
    import base64
    import struct

    stamp = struct.unpack(">Q", base64.urlsafe_b64decode(token)[1:9])[0]
    assert stamp == day_start()
    assert stamp % 86400 == 0


def test_rotation_reencrypts_under_the_newest_key_and_old_keys_still_read() -> None:
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    old = TipCrypto({**CONFIG, "TIPS_KEY": old_key})
    token = old.encrypt("secret")
    rotated = TipCrypto({**CONFIG, "TIPS_KEY": new_key, "TIPS_OLD_KEYS": old_key})
    assert rotated.decrypt(token) == "secret"
    assert not rotated.is_current(token.encode())
    fresh = rotated.rotate(token.encode())
    assert rotated.is_current(fresh)
    assert TipCrypto({**CONFIG, "TIPS_KEY": new_key}).decrypt(fresh.decode()) == "secret"


def test_development_keys_are_derived_from_the_secret_key() -> None:
    a, b = TipCrypto(CONFIG), TipCrypto({"SECRET_KEY": "another-secret-key-0123456789abcdef"})
    assert a.keys[0] != b.keys[0]
    assert TipCrypto(CONFIG).keys == a.keys
    Fernet(a.keys[0].encode())  # a valid Fernet key


def test_criticality_rule() -> None:
    facts = triage.TipFacts(False, False, False, 10, 0)
    assert triage.criticality(facts) == 0
    full = triage.TipFacts(True, True, True, 1000, 10)
    assert triage.criticality(full) == 100
    assert triage.criticality(triage.TipFacts(True, False, True, 50, 1)) == 60
    assert triage.band(60) == "high" and triage.band(30) == "medium" and triage.band(29) == "low"

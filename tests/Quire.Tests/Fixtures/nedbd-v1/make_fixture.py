"""Writes the nedbd v1 data directory that `quire migrate-nedbd` is tested against.

Run with nedb's own Python engine on the path (github.com/Eth-Interchained/nedb,
python/ directory), so the files are exactly what nedbd writes:

    rm -rf shop vault && PYTHONPATH=<nedb>/python python3 make_fixture.py .

(nedb 2.8.2, commit 063a1a2f, made this copy.)

It makes two databases: `shop` (plaintext) and `vault` (encrypted under the master key
MASTER_KEY_HEX below, which the tests pass as NEDB_TMK). Between them they hold every
record kind nedbd writes: puts with TTLs, provenance, idempotency keys and explicit
client nonces, deletes, links and unlinks, files in both tiers, checkpoints, index
definitions before and after the last checkpoint, and a file written after it (whose
content nedbd keeps only in the next snapshot, so it cannot be carried).
"""
import os
import sys
import time

from nedb import NEDB

MASTER_KEY_HEX = "8f" * 32


def fill(db, prefix):
    db.create_index("users", "city", "eq")
    db.create_index("users", "age", "ordered")
    db.put("users", "u1", {"name": "Ann", "city": "Oslo", "age": 41})
    db.put("users", "u2", {"name": "B\u00f8 \U0001F600", "age": 3.5, "tiny": 1e-05, "big": 12345678901234567890},
           ttl_s=10 * 365 * 24 * 3600, client="svc", nonce=10, idem=prefix + "k1")
    db.put("notes", "n1", {"t": "first note", "tags": ["a", "b"], "nested": {"x": None, "y": True}},
           caused_by=[1], evidence="inference", confidence=0.9, valid_from="2024-01-01", valid_to="2024-12-31")
    db.put("users", "u3", {"name": "Cy", "city": "Bergen", "age": 29}, client="svc", nonce=11)
    db.put("sessions", "s1", {"user": "u1"}, ttl_s=0.05)
    db.link("users:u1", "wrote", "notes:n1")
    db.link("users:u3", "follows", "users:u1")
    db.unlink("users:u1", "wrote", "notes:n1")
    db.link("users:u1", "wrote", "notes:n1")
    db.unlink("users:u3", "follows", "users:u1")
    db.delete("users", "u1")
    db.put("users", "u1", {"name": "Ann again", "city": "Oslo", "age": 42}, idem=prefix + "k2")
    db.put_file("a.txt", b"hello world" * 100)
    db.put_file("a.txt", b"hello again " * 50)
    db.put_file("b.bin", bytes(range(256)) * 40, tier="cold")
    db.checkpoint()
    db.create_index("notes", "t", "search")
    db.put("users", "u4", {"name": "Dee", "city": "Oslo", "age": 35})
    db.put("users", "u2", {"name": "B\u00f8", "age": 4}, client="svc", nonce=12)
    db.put_file("late.txt", b"written after the last checkpoint")
    time.sleep(0.1)   # s1's TTL has passed; no sweep ran, so no delete is in the log


def main():
    out = sys.argv[1]
    shop = NEDB(os.path.join(out, "shop"))
    fill(shop, "shop-")
    shop.close()
    vault = NEDB(os.path.join(out, "vault"), tmk=bytes.fromhex(MASTER_KEY_HEX))
    fill(vault, "vault-")
    vault.close()


if __name__ == "__main__":
    main()

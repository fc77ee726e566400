"""
The calls nedbd's official Python client (NedbClient, python/nedb/client.py in
Eth-Interchained/nedb) makes, written here from its documented behaviour: the same
methods, paths, bodies and headers, the same reading of responses (`.get` on the same
keys) and the same typed errors (a 409 "precondition_failed" must carry failures with
index, coll, id, expected and actual). nedb's code is under the Business Source Licence,
so none of it is copied here; `verify_proof` follows the algorithm its docs define.

Run: NEDBD_URL=http://127.0.0.1:7070 python3 nedb_calls.py   (prints "nedb client ok")
"""
import hashlib
import json
import os
import time
import urllib.error
import urllib.request


class NedbError(Exception):
    pass


class NedbConflict(NedbError):
    pass


class NedbNotFound(NedbError):
    pass


class NedbBadRequest(NedbError):
    pass


class PreconditionFailed(NedbError):
    def __init__(self, failures, seq):
        # As nedb's engine formats it: every key must be there.
        super().__init__("; ".join(
            f"op {f['index']} {f['coll']}/{f['id']}: expected {f['expected']}, actual {f['actual']}" for f in failures))
        self.failures = failures
        self.seq = seq


class Client:
    def __init__(self, url, db, token=None):
        self.url, self.db, self.token = url.rstrip("/"), db, token

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())   # every 2xx must have a JSON body
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"error": raw[:300].decode(errors="replace")}
            msg = str(payload.get("error") or payload)[:300]
            if e.code == 409 and payload.get("error") == "precondition_failed":
                raise PreconditionFailed(payload["failures"] or [], payload.get("seq"))
            if e.code == 404:
                raise NedbNotFound(msg)
            if e.code == 400:
                raise NedbBadRequest(msg)
            if e.code == 409:
                raise NedbConflict(msg)
            raise NedbError(f"nedbd {method} {path} -> {e.code}: {msg}")

    def p(self, suffix=""):
        return f"/v1/databases/{self.db}{suffix}"

    def health(self): return self.request("GET", "/health")
    def ensure_database(self):
        if self.db in self.health()["databases"]:
            return False
        self.request("POST", "/v1/databases", {"name": self.db})
        return True
    def databases(self): return self.request("GET", "/v1/databases").get("databases", [])
    def database_detail(self): return self.request("GET", self.p())
    def query_full(self, nql): return self.request("POST", self.p("/query"), {"nql": nql})
    def query(self, nql): return self.query_full(nql).get("rows", [])
    def get_doc(self, coll, id):
        rows = self.query(f'FROM {coll} WHERE _id = "{id}"')
        return rows[0] if rows else None
    def count(self, coll): return int(self.query_full(f"FROM {coll}").get("count", 0))
    def put(self, coll, id, doc, **extra):
        body = {"coll": coll, "id": id, "doc": doc, "client": extra.pop("client", None) or "nedb-client"}
        body.update({k: v for k, v in extra.items() if v is not None})
        return self.request("POST", self.p("/put"), body)
    def delete(self, coll, id): return self.request("DELETE", self.p(f"/rows/{coll}/{id}"))
    def tx(self, ops, client=None): return self.request("POST", self.p("/batch"), {"ops": ops, "client": client or "nedb-client"})
    def create_index(self, coll, field, kind="eq"): return self.request("POST", self.p("/index"), {"coll": coll, "field": field, "kind": kind})
    def link(self, frm, rel, to): return self.request("POST", self.p("/link"), {"frm": frm, "rel": rel, "to": to})
    def neighbors(self, node, rel): return self.request("POST", self.p("/neighbors"), {"node": node, "rel": rel}).get("nodes", [])
    def verify(self): return self.request("GET", self.p("/verify"))
    def checkpoint(self): return self.request("POST", self.p("/checkpoint"))
    def sweep(self): return int(self.request("POST", self.p("/sweep")).get("swept", 0))
    def log(self, limit=50): return self.request("GET", self.p(f"/log?limit={int(limit)}")).get("log", [])
    def proof(self, op_hash): return self.request("POST", self.p("/proof"), {"hash": op_hash})
    def mongo(self, collection, op, **kw): return self.request("POST", self.p("/mongo"), {"collection": collection, "op": op, **kw})


def op_put(coll, id, doc, if_seq=None, ttl_s=None, caused_by=None):
    op = {"op": "put", "coll": coll, "id": id, "doc": doc}
    for k, v in (("if_seq", if_seq), ("ttl_s", ttl_s), ("caused_by", caused_by)):
        if v is not None:
            op[k] = v
    return op


def op_del(coll, id, if_seq=None):
    op = {"op": "del", "coll": coll, "id": id}
    if if_seq is not None:
        op["if_seq"] = if_seq
    return op


def _step(head_hex, op_hash_hex):
    return hashlib.blake2b(bytes.fromhex(head_hex) + bytes.fromhex(op_hash_hex), digest_size=32).hexdigest()


def verify_proof(proof):
    """nedb's documented check: fold prev_head, the op's hash, then every later hash; compare with head."""
    for key in ("hash", "seq", "prev_head", "subsequent", "head"):
        if key not in proof:
            return False
    if not isinstance(proof["seq"], int) or proof["seq"] < 0 or not isinstance(proof["subsequent"], list):
        return False
    head = _step(proof["prev_head"], proof["hash"])
    for sub in proof["subsequent"]:
        head = _step(head, sub)
    return head == proof["head"]


def main():
    c = Client(os.environ["NEDBD_URL"], os.environ.get("NEDB_DB", "compat"), os.environ.get("NEDBD_TOKEN"))
    assert c.health()["ok"] is True
    assert c.ensure_database() is True
    assert c.ensure_database() is False          # /health lists names: the second call does not re-create
    assert c.db in [d["name"] for d in c.databases()]

    put = c.put("users", "u1", {"name": "ada", "age": 36}, caused_by=[0], evidence="user_message", confidence=0.9,
                valid_from="2024-01-01", valid_to="2025-01-01")
    assert put["ok"] is True and put["doc"]["name"] == "ada" and isinstance(put["seq"], int) and len(put["head"]) == 64
    assert put["doc"]["_caused_by"] == [0] and put["doc"]["_evidence"] == "user_message"
    assert put["doc"]["_confidence"] == 0.9 and put["doc"]["_valid_from"] == "2024-01-01" and put["doc"]["_valid_to"] == "2025-01-01"
    doc = c.get_doc("users", "u1")
    assert doc["_id"] == "u1" and isinstance(doc["_seq"], int)
    assert c.count("users") == 1

    # TTL: fractional seconds, _expires_at in epoch seconds, swept on demand.
    before = time.time()
    short = c.put("sessions", "s1", {"user": "u1"}, ttl_s=0.05)["doc"]
    assert before < short["_expires_at"] < before + 5, short
    time.sleep(0.3)
    assert c.get_doc("sessions", "s1") is None   # expired: absent at once
    assert c.sweep() == 1
    assert c.sweep() == 0

    # Batches: atomic, if_seq, every failure listed.
    seq = c.get_doc("users", "u1")["_seq"]
    ok = c.tx([op_put("users", "u1", {"name": "ada", "age": 37}, if_seq=seq), op_put("users", "u2", {"name": "bob"}, if_seq=-1)])
    assert ok["atomic"] is True and ok["count"] == 2 and [r["op"] for r in ok["results"]] == ["put", "put"]
    try:
        c.tx([op_put("users", "u1", {"age": 1}, if_seq=seq), op_del("users", "u2", if_seq=-1)])
        raise AssertionError("a stale if_seq was applied")
    except PreconditionFailed as e:
        assert [f["index"] for f in e.failures] == [0, 1], e.failures
        assert e.failures[0]["actual"] == ok["results"][0]["seq"] and e.failures[1]["expected"] == -1, e.failures
    assert c.get_doc("users", "u1")["age"] == 37   # nothing of the refused batch applied
    try:
        c.tx([{"op": "fly"}])
        raise AssertionError("a bad op was accepted")
    except NedbBadRequest as e:
        assert str(e).startswith("bad op"), e

    # Indexes, links, neighbours, the detail.
    assert c.create_index("users", "age", "sorted")["ok"] is True
    assert c.link("users:u1", "knows", "users:u2")["ok"] is True
    assert c.neighbors("users:u1", "knows") == ["users:u2"]
    assert c.neighbors("users:u2", "knows") == []
    detail = c.database_detail()
    assert detail["rows"] == 2 and detail["collections"] == {"users": 2}, detail
    assert ["users", "age", "sorted"] in detail["indexes"], detail["indexes"]
    assert {"from": "users", "relation": "knows", "to": "users", "cardinality": "one_to_many"} in detail["relations"]
    assert detail["integrity"]["ok"] is True

    # The op log, newest first; a proof of an op, verified offline.
    log = c.log()
    assert [e["seq"] for e in log] == sorted((e["seq"] for e in log), reverse=True) and all("hash" in e for e in log)
    assert log[0]["hash"] == c.verify()["head"] and c.verify()["ok"] is True
    assert len(c.log(limit=2)) == 2
    oldest = log[-1]
    proof = c.proof(oldest["hash"])
    assert proof["verified"] is True and proof["seq"] == oldest["seq"] and verify_proof(proof)
    assert not verify_proof({**proof, "hash": "0" * 64})
    try:
        c.proof("f" * 64)
        raise AssertionError("a proof of no op")
    except NedbNotFound:
        pass

    mongo(c)
    assert c.checkpoint()["ok"] is True
    assert c.delete("users", "u2")["ok"] is True
    assert c.get_doc("users", "u2") is None
    try:
        c.query("SELECT nonsense")
        raise AssertionError("bad NQL accepted")
    except NedbBadRequest:
        pass
    print("nedb client ok")


def mongo(c):
    ins = c.mongo("people", "insertOne", document={"name": "ada", "age": 36, "tags": ["x"]})
    assert ins["acknowledged"] is True and isinstance(ins["insertedId"], str) and len(ins["insertedId"]) == 24
    c.mongo("people", "insertOne", document={"_id": "b", "name": "bob", "age": 25})
    c.mongo("people", "insertOne", document={"_id": "c", "name": "cy", "age": 41, "city": "Oslo"})
    try:
        c.mongo("people", "insertOne", document={"_id": "b"})
        raise AssertionError("a duplicate _id was inserted")
    except NedbBadRequest as e:
        assert "duplicate key" in str(e)
    one = c.mongo("people", "findOne", filter={"name": "bob"})
    assert one["doc"]["_id"] == "b"
    found = c.mongo("people", "find", filter={"age": {"$gte": 30}}, sort={"age": -1})
    assert [r["name"] for r in found["rows"]] == ["cy", "ada"] and found["count"] == 2
    assert c.mongo("people", "count", filter={"$or": [{"city": {"$exists": True}}, {"name": {"$regex": "^B", "$options": "i"}}]})["count"] == 2
    assert c.mongo("people", "distinct", key="name", filter={"age": {"$lt": 40}})["values"] == ["ada", "bob"]
    upd = c.mongo("people", "updateOne", filter={"_id": "b"}, update={"$set": {"city": "Rome"}, "$inc": {"age": 1}})
    assert upd["matchedCount"] == 1 and upd["modifiedCount"] == 1 and upd["upsertedId"] is None
    ups = c.mongo("people", "updateOne", filter={"name": "dee"}, update={"$set": {"age": 5}}, upsert=True)
    assert ups["matchedCount"] == 0 and ups["upsertedId"] is not None
    agg = c.mongo("people", "aggregate", pipeline=[{"$match": {"age": {"$gt": 10}}}, {"$group": {"_id": None, "n": {"$sum": 1}, "avg": {"$avg": "$age"}}}])
    assert agg["rows"][0]["n"] == 3, agg
    assert c.mongo("people", "deleteMany", filter={"age": {"$lt": 30}})["deletedCount"] == 2
    assert c.count("people") == 2   # mongo writes are ordinary commits: NQL sees them at once
    try:
        c.mongo("people", "explode")
        raise AssertionError("an unknown mongo op was accepted")
    except NedbBadRequest:
        pass


if __name__ == "__main__":
    main()

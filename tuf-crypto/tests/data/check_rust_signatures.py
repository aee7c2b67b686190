"""Checks signatures and keys made by tuf-crypto with securesystemslib.

Run by `cargo test -p tuf-crypto --test securesystemslib
securesystemslib_verifies_signatures_and_keys_made_here`, which feeds it the lines on stdin.

For every "VECTOR {json}" line: the key dict loads as an SSlibKey, securesystemslib computes
the same key id, the signature verifies, and the PKCS#8 PEM written by tuf-crypto loads with
pyca/cryptography into a CryptoSigner for that key.
"""

import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner, Key, Signature
from securesystemslib.signer._utils import compute_default_keyid

count = 0
for line in sys.stdin:
    if not line.startswith("VECTOR "):
        continue
    vector = json.loads(line[len("VECTOR "):])
    key_dict = vector["key"]
    keyid = compute_default_keyid(key_dict["keytype"], key_dict["scheme"], key_dict["keyval"])
    assert keyid == vector["keyid"], (keyid, vector["keyid"])
    key = Key.from_dict(keyid, dict(key_dict))
    key.verify_signature(Signature(keyid, vector["signature"]), bytes.fromhex(vector["message"]))
    signer = CryptoSigner(load_pem_private_key(vector["private"].encode(), None), key)
    key.verify_signature(signer.sign(b"from python"), b"from python")
    count += 1
    print("ok", key_dict["scheme"], keyid)

assert count == 18, count
print(f"all {count} vectors verified by securesystemslib")

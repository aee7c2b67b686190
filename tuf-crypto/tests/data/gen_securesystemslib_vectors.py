"""Generates the securesystemslib agreement constants of tests/securesystemslib.rs.

Run with the reference implementation (securesystemslib 1.6.0, cryptography 50.0.2):

    python tests/data/gen_securesystemslib_vectors.py > /tmp/vectors.rs

and paste the output between the GENERATED markers of tests/securesystemslib.rs.
Keys are freshly generated on every run (throwaway test keys).
"""

import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from securesystemslib.signer import CryptoSigner, SSlibKey
from securesystemslib.signer._utils import compute_default_keyid

MESSAGE = b"tuf-crypto agreement message \x00\xff"

SCHEMES = [
    "ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "rsassa-pss-sha256",
    "rsassa-pss-sha384",
    "rsassa-pss-sha512",
    "rsa-pkcs1v15-sha256",
    "rsa-pkcs1v15-sha384",
    "rsa-pkcs1v15-sha512",
]


def pkcs8(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def rust_str(value):
    return "r#\"" + value + "\"#"


ed = ed25519.Ed25519PrivateKey.generate()
p256 = ec.generate_private_key(ec.SECP256R1())
p384 = ec.generate_private_key(ec.SECP384R1())
rsa2048 = rsa.generate_private_key(65537, 2048)
rsa1024 = rsa.generate_private_key(65537, 1024)

private_for = {
    "ed25519": ed,
    "ecdsa-sha2-nistp256": p256,
    "ecdsa-sha2-nistp384": p384,
}

out = []
out.append("const MESSAGE: &[u8] = b\"tuf-crypto agreement message \\x00\\xff\";")
for name, key in [("ED25519", ed), ("P256", p256), ("P384", p384), ("RSA2048", rsa2048), ("RSA1024", rsa1024)]:
    out.append(f"const {name}_PKCS8: &str = {rust_str(pkcs8(key))};")

out.append("/// (scheme, key dict JSON, securesystemslib key id, signature hex over MESSAGE)")
out.append("const SIGNED: [(&str, &str, &str, &str); 9] = [")
for scheme in SCHEMES:
    key = private_for.get(scheme, rsa2048)
    pub = SSlibKey.from_crypto(key.public_key(), scheme=scheme)
    signer = CryptoSigner(key, pub)
    sig = signer.sign(MESSAGE)
    pub.verify_signature(sig, MESSAGE)
    out.append(
        f"    ({json.dumps(scheme)}, {rust_str(json.dumps(pub.to_dict()))}, "
        f"{json.dumps(pub.keyid)}, {json.dumps(sig.signature)}),"
    )
out.append("];")

pub1024 = SSlibKey.from_crypto(rsa1024.public_key())
out.append(f"const RSA1024_KEY: &str = {rust_str(json.dumps(pub1024.to_dict()))};")

# key id with unknown fields inside keyval and at top level: the key id covers keyval as
# stored (unknown keyval fields included) but not the top-level unknown fields.
keyval = {"public": ed.public_key().public_bytes_raw().hex(), "x-extra": [1, "two", None]}
odd = SSlibKey("id", "ed25519", "ed25519", keyval, {"x-top": {"a": True}})
out.append(f"const UNKNOWN_FIELDS_KEY: &str = {rust_str(json.dumps(odd.to_dict()))};")
out.append(
    f"const UNKNOWN_FIELDS_KEY_ID: &str = {json.dumps(compute_default_keyid('ed25519', 'ed25519', keyval))};"
)
# RSASSA-PSS signatures with other salt lengths (securesystemslib verifies with PSS.AUTO),
# and a high-S ECDSA signature (OpenSSL does not normalise S); each verified by
# securesystemslib before being written out.
variants = []
pss_key = SSlibKey.from_crypto(rsa2048.public_key(), scheme="rsassa-pss-sha256")
for salt in [0, 20, padding.PSS.MAX_LENGTH]:
    sig = rsa2048.sign(MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), salt), hashes.SHA256())
    variants.append((pss_key, sig))
p256_key = SSlibKey.from_crypto(p256.public_key())
r, s = utils.decode_dss_signature(p256.sign(MESSAGE, ec.ECDSA(hashes.SHA256())))
n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
s = s if s > n // 2 else n - s
variants.append((p256_key, utils.encode_dss_signature(r, s)))
out.append("/// (key dict JSON, signature hex over MESSAGE): PSS salt lengths 0, 20, maximal; high-S ECDSA")
out.append("const VARIANTS: [(&str, &str); 4] = [")
for key, sig in variants:
    from securesystemslib.signer import Signature

    key.verify_signature(Signature(key.keyid, sig.hex()), MESSAGE)
    out.append(f"    ({rust_str(json.dumps(key.to_dict()))}, {json.dumps(sig.hex())}),")
out.append("];")
print("\n".join(out))

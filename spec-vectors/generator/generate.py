#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""Generate the spec-vectors data with the reference implementation.

The reference is python-tuf + securesystemslib + pyca/cryptography, pinned in
requirements.txt next to this file. Run it with the reference venv (the Rust
side does that: `cargo xtask vectors`, or `spec_vectors::reference`):

    python generate.py            # (re)write spec-vectors/data/
    python generate.py --check    # exit 1 and list the files that would change

The output is deterministic:

* keys are fixed test keys committed under data/keys/ (created only when missing);
* dates and versions are fixed;
* JSON is written with sort_keys and a fixed layout;
* randomised signatures (ECDSA, RSASSA-PSS) cannot be reproduced, so every
  signature already present in the committed data is collected first, and
  reused whenever the reference verifies it for the same key and message.

Every expectation written into the data comes from the reference, and the
generator asserts that each hand-written expectation (valid / invalid, error
kind) agrees with it, so a surprise in the reference stops the generation.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import sys
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes as chashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.exceptions import FormatError
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, Key, Signature, Signer, SSlibKey
from securesystemslib.signer._utils import compute_default_keyid
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

# The legacy ecdsa keytypes are deprecated (on purpose part of the vectors).
warnings.filterwarnings("ignore", category=DeprecationWarning)

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent
DATA = CRATE / "data"

EXPIRES = datetime(2030, 1, 1, tzinfo=timezone.utc)
REPO_EXPIRES = datetime(2099, 1, 1, tzinfo=timezone.utc)


def dumps(value: Any) -> str:
    """The one layout of every data file."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def canonical(value: Any) -> bytes:
    text = encode_canonical(value)
    assert text is not None
    return text.encode("utf-8")


def describe_exception(error: BaseException) -> str:
    """`Type: message`, followed by the chain of causes."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # The wording of json's parse errors differs between Python versions: keep the type only.
        message = "" if isinstance(current, json.JSONDecodeError) else str(current)
        parts.append(f"{type(current).__name__}: {message}" if message else type(current).__name__)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------

# name, algorithm, scheme, keytype override (legacy), extra fields
KEY_SPECS: list[tuple[str, str, str, str | None, bool]] = [
    ("ed25519", "ed25519", "ed25519", None, False),
    ("ecdsa-sha2-nistp256", "p256", "ecdsa-sha2-nistp256", None, False),
    ("ecdsa-sha2-nistp384", "p384", "ecdsa-sha2-nistp384", None, False),
    ("rsassa-pss-sha256", "rsa2048", "rsassa-pss-sha256", None, False),
    ("rsassa-pss-sha384", "rsa3072", "rsassa-pss-sha384", None, False),
    ("rsassa-pss-sha512", "rsa3072", "rsassa-pss-sha512", None, False),
    ("rsa-pkcs1v15-sha256", "rsa2048", "rsa-pkcs1v15-sha256", None, False),
    ("rsa-pkcs1v15-sha384", "rsa3072", "rsa-pkcs1v15-sha384", None, False),
    ("rsa-pkcs1v15-sha512", "rsa3072", "rsa-pkcs1v15-sha512", None, False),
    (
        "ecdsa-sha2-nistp256-legacy-keytype",
        "p256",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp256",
        False,
    ),
    (
        "ecdsa-sha2-nistp384-legacy-keytype",
        "p384",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp384",
        False,
    ),
    ("ed25519-extra-fields", "ed25519", "ed25519", None, True),
    ("ed25519-rotated", "ed25519", "ed25519", None, False),
]

# The nine schemes, each with its main key (the key named after the scheme).
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

# For the `wrong_key` signatures: a different private key of the same algorithm,
# used with the scheme of the key under test.
OTHER_KEY = {
    "ed25519": "ed25519-rotated",
    "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256-legacy-keytype",
    "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384-legacy-keytype",
    "rsassa-pss-sha256": "rsa-pkcs1v15-sha256",
    "rsassa-pss-sha384": "rsa-pkcs1v15-sha384",
    "rsassa-pss-sha512": "rsa-pkcs1v15-sha512",
    "rsa-pkcs1v15-sha256": "rsassa-pss-sha256",
    "rsa-pkcs1v15-sha384": "rsassa-pss-sha384",
    "rsa-pkcs1v15-sha512": "rsassa-pss-sha512",
    "ecdsa-sha2-nistp256-legacy-keytype": "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384-legacy-keytype": "ecdsa-sha2-nistp384",
}


def new_private_key(algorithm: str) -> Any:
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(algorithm)


class KeyEntry:
    """A test key: the private key, its securesystemslib public key and signer."""

    def __init__(self, name: str, private: Any, scheme: str, legacy: str | None, extra: bool):
        self.name = name
        self.private = private
        self.scheme = scheme
        base = SSlibKey.from_crypto(private.public_key(), scheme=scheme)
        keytype = legacy or base.keytype
        keyval = dict(base.keyval)
        unrecognized: dict[str, Any] = {}
        if extra:
            keyval["x-spec-vectors-keyval-extra"] = "extra field inside keyval"
            unrecognized["x-spec-vectors-extra"] = {"note": "extra top-level key field"}
        if legacy or extra:
            keyid = compute_default_keyid(keytype, scheme, keyval)
            self.public = SSlibKey(keyid, keytype, scheme, keyval, unrecognized)
        else:
            self.public = base
        self.signer = CryptoSigner(private, self.public)

    @property
    def keyid(self) -> str:
        return self.public.keyid

    @property
    def file(self) -> str:
        return f"keys/{self.name}.pem"


def load_keys(outputs: dict[str, bytes], existing: dict[str, bytes]) -> dict[str, KeyEntry]:
    keys = {}
    for name, algorithm, scheme, legacy, extra in KEY_SPECS:
        rel = f"keys/{name}.pem"
        pem = existing.get(rel)
        if pem is None:
            print(f"generating missing test key {rel}", file=sys.stderr)
            pem = new_private_key(algorithm).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            )
        outputs[rel] = pem
        private = load_pem_private_key(pem, None)
        keys[name] = KeyEntry(name, private, scheme, legacy, extra)
    return keys


# --------------------------------------------------------------------------------------
# Signatures, reusing committed ones for the randomised schemes
# --------------------------------------------------------------------------------------


class SignatureCache:
    """Signatures found in the committed data, by the exact payload signed."""

    def __init__(self) -> None:
        # in the order first seen (files in sorted order, cases in file order), so that
        # e.g. the primary ECDSA signature is picked again rather than its high-S twin
        self.by_payload: dict[bytes, dict[str, None]] = {}

    def add(self, payload: bytes, signature: Any) -> None:
        if isinstance(signature, str) and signature:
            self.by_payload.setdefault(payload, {}).setdefault(signature, None)

    def candidates(self, payload: bytes) -> list[str]:
        return list(self.by_payload.get(payload, {}))

    def add_metadata(self, text: bytes) -> None:
        try:
            doc = json.loads(text)
            payload = canonical(doc["signed"])
            for sig in doc["signatures"]:
                self.add(payload, sig["sig"])
        except Exception:  # noqa: BLE001 - invalid vectors are expected here
            pass

    def load(self, existing: dict[str, bytes]) -> None:
        for rel, content in existing.items():
            if rel == "signatures.json":
                for case in json.loads(content):
                    try:
                        self.add(bytes.fromhex(case["message"]), case["signature"])
                    except ValueError:
                        pass
            elif rel == "metadata.json":
                for case in json.loads(content):
                    self.add_metadata(case["document"].encode("utf-8"))
            elif rel.startswith("repositories/") and rel.endswith(".json"):
                self.add_metadata(content)


CACHE = SignatureCache()


def _hash_for(scheme: str) -> chashes.HashAlgorithm:
    if scheme.startswith("ecdsa"):
        return {"nistp256": chashes.SHA256(), "nistp384": chashes.SHA384()}[scheme[-8:]]
    return {"sha256": chashes.SHA256(), "sha384": chashes.SHA384(), "sha512": chashes.SHA512()}[scheme[-6:]]


def raw_sign(private: Any, scheme: str, payload: bytes, variant: str) -> bytes:
    """Sign with pyca/cryptography directly (for the variants no Signer makes)."""
    h = _hash_for(scheme) if scheme != "ed25519" else None
    if scheme == "ed25519":
        return private.sign(payload)
    if scheme.startswith("ecdsa"):
        return private.sign(payload, ec.ECDSA(h))
    if variant == "pkcs1v15" or (variant == "default" and scheme.startswith("rsa-pkcs1v15")):
        return private.sign(payload, padding.PKCS1v15(), h)
    salt = {
        "default": padding.PSS.DIGEST_LENGTH,
        "pss": padding.PSS.DIGEST_LENGTH,
        "salt-max": padding.PSS.MAX_LENGTH,
        "salt-zero": 0,
    }[variant]
    return private.sign(payload, padding.PSS(mgf=padding.MGF1(h), salt_length=salt), h)


def raw_verify(public: Any, scheme: str, payload: bytes, signature: bytes, variant: str) -> bool:
    """Exact check of a signature variant (salt length included) with pyca/cryptography."""
    try:
        if scheme == "ed25519":
            public.verify(signature, payload)
            return True
        h = _hash_for(scheme)
        if scheme.startswith("ecdsa"):
            public.verify(signature, payload, ec.ECDSA(h))
            return True
        if variant == "pkcs1v15" or (variant == "default" and scheme.startswith("rsa-pkcs1v15")):
            public.verify(signature, payload, padding.PKCS1v15(), h)
            return True
        salt = {
            "default": h.digest_size,
            "pss": h.digest_size,
            "salt-max": public.key_size // 8 - h.digest_size - 2
            if public.key_size % 8 != 1
            else public.key_size // 8 - h.digest_size - 3,
            "salt-zero": 0,
        }[variant]
        public.verify(signature, payload, padding.PSS(mgf=padding.MGF1(h), salt_length=salt), h)
        return True
    except InvalidSignature:
        return False


def sign_with(
    private: Any,
    scheme: str,
    payload: bytes,
    variant: str = "default",
    accept: Callable[[bytes], bool] | None = None,
) -> str:
    """Sign `payload`; reuse a committed signature when the reference verifies it."""
    public = private.public_key()

    def ok(sig: bytes) -> bool:
        return raw_verify(public, scheme, payload, sig, variant) and (accept is None or accept(sig))

    for candidate in CACHE.candidates(payload):
        try:
            sig = bytes.fromhex(candidate)
        except ValueError:
            continue
        if candidate == sig.hex() and ok(sig):
            return candidate
    for _ in range(10_000):
        sig = raw_sign(private, scheme, payload, variant)
        if ok(sig):
            CACHE.add(payload, sig.hex())
            return sig.hex()
    raise RuntimeError(f"could not make a {variant} {scheme} signature")


def sign_key(key: KeyEntry, payload: bytes, variant: str = "default") -> str:
    """A signature by `key` that its securesystemslib key verifies."""
    sig = sign_with(key.private, key.scheme, payload, variant)
    if variant == "default":
        # CryptoSigner (the reference's signer) makes exactly these signatures.
        key.public.verify_signature(Signature(key.keyid, sig), payload)
    return sig


class CachingSigner(Signer):
    """A securesystemslib Signer for python-tuf's Metadata.sign(), with reuse."""

    def __init__(self, key: KeyEntry):
        self.key = key

    @classmethod
    def from_priv_key_uri(cls, priv_key_uri, public_key, secrets_handler=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    @property
    def public_key(self) -> Key:
        return self.key.public

    def sign(self, payload: bytes) -> Signature:
        return Signature(self.key.keyid, sign_key(self.key, payload))


def reference_verifies(key: KeyEntry, message: bytes, signature: str) -> bool:
    try:
        key.public.verify_signature(Signature(key.keyid, signature), message)
        return True
    except Exception:  # noqa: BLE001 - UnverifiedSignatureError and VerificationError
        return False


# --------------------------------------------------------------------------------------
# canonical_json.json
# --------------------------------------------------------------------------------------

# name, description, input, expected error (None when the reference encodes it)
CANONICAL_CASES: list[tuple[str, str, str, str | None]] = [
    ("empty-object", "An empty object.", "{}", None),
    ("empty-array", "An empty array.", "[]", None),
    ("empty-string", "An empty string at top level.", '""', None),
    ("empty-containers-nested", "Empty containers inside containers.",
     '{"a": {}, "b": [], "c": [{}, []], "d": {"e": {}}}', None),
    ("deep-nesting-arrays", "Ten nested arrays.", "[[[[[[[[[[1]]]]]]]]]]", None),
    ("deep-nesting-objects", "Keys are sorted at every level of nesting.",
     '{"z": {"y": {"x": {"b": 1, "a": 2}}, "a": 0}, "a": {"d": [{"z": 1, "a": 2}], "c": 3}}', None),
    ("key-order-basic", "Keys are sorted.", '{"b": 1, "a": 2, "c": 3}', None),
    ("key-order-prefix-and-empty", "A key that is a prefix of another sorts first; the empty key sorts first of all.",
     '{"aa": 1, "a": 2, "": 3, "b": 4, "ab": 5}', None),
    ("key-order-case", "Uppercase letters (U+0041..) sort before lowercase (U+0061..).",
     '{"a": 1, "B": 2, "b": 3, "A": 4, "_": 5}', None),
    ("key-order-unescaped",
     'Keys sort by their UNESCAPED code points: `a"` (U+0022) comes before `a#` (U+0023), although '
     'in the escaped output `a\\"` would sort after `a#` (backslash is U+005C).',
     '{"a#": 1, "a\\"": 2}', None),
    ("key-order-unescaped-backslash",
     "`a\\` (backslash U+005C) sorts between `a[` (U+005B) and `a]` (U+005D), by unescaped code point.",
     '{"a]": 1, "a\\\\": 2, "a[": 3}', None),
    ("key-order-above-bmp",
     "Keys sort by Unicode code point (= UTF-8 byte order), NOT by UTF-16 code units: U+E000 < U+FFFF < "
     "U+1F600 (in UTF-16 the surrogate pair D83D DE00 would sort first).",
     '{"\\ud83d\\ude00": 1, "\\uffff": 2, "\\ue000": 3, "z": 4}', None),
    ("key-order-latin1", "Non-ASCII keys sort after ASCII ones.", '{"\u00e9": 1, "z": 2, "e": 3}', None),
    ("key-order-control-characters", "Keys made of control characters sort by code point, output raw.",
     '{"\\u0001": 1, "\\u0000": 2, " ": 3, "\\u001f": 4}', None),
    ("nfd-nfc-keys-distinct",
     "NFC `\u00e9` (U+00E9) and NFD `e\u0301` (U+0065 U+0301) are different keys: no Unicode normalisation.",
     '{"\\u00e9": "nfc", "e\\u0301": "nfd"}', None),
    ("unicode-keys", "Keys in several scripts.", '{"\u043a\u043b\u044e\u0447": 1, "\u30ad\u30fc": 2, "\u03ba\u03bb\u03b5\u03b9\u03b4\u03af": 3, "key": 4}', None),
    ("string-escapes-quote-backslash", "Only `\"` and `\\` are escaped in the output.",
     '"quote \\" backslash \\\\ end"', None),
    ("string-only-backslash", "A string that is one backslash.", '"\\\\"', None),
    ("string-only-quote", "A string that is one quote.", '"\\""', None),
    ("control-characters-raw",
     "Control characters given as \\u escapes are written RAW (unescaped) in canonical JSON.",
     '"nul \\u0000 soh \\u0001 us \\u001f"', None),
    ("control-characters-named-escapes",
     "\\b \\f \\n \\r \\t escapes become raw control characters in the output.",
     '"\\b\\f\\n\\r\\t"', None),
    ("delete-character", "U+007F is not a control character for JSON; output raw.", '"\\u007f"', None),
    ("non-ascii-raw", "Raw UTF-8 input stays raw UTF-8.", '"h\u00e9llo w\u00f6rld \u2713 \u4e2d\u6587"', None),
    ("non-ascii-escaped", "\\u escapes of non-ASCII characters become raw UTF-8.", '"h\\u00e9llo \\u2713"', None),
    ("nfd-string-not-normalised",
     "An NFD string (e + U+0301 COMBINING ACUTE ACCENT) must NOT be normalised to NFC.",
     '"caf\\u0065\\u0301 e\u0301"', None),
    ("above-bmp-surrogate-pair-escape", "A \\u surrogate pair decodes to one code point, output raw.",
     '"\\ud83d\\ude00"', None),
    ("above-bmp-raw", "A raw 4-byte UTF-8 character.", '"\U0001f600 \U00010348"', None),
    ("u-escape-ascii", "\\u escapes of ASCII letters become the letters.", '"\\u0041\\u0062\\u0063"', None),
    ("u-escape-uppercase-hex", "Uppercase hex digits in \\u escapes.", '"\\u00E9\\u00C9"', None),
    ("solidus", "A plain `/` stays `/`.", '"a/b"', None),
    ("escaped-solidus", "An escaped `\\/` becomes a plain `/`.", '"a\\/b"', None),
    ("line-separators", "U+2028 and U+2029 are written raw.", '"\\u2028\\u2029"', None),
    ("integer-zero", "Zero.", "0", None),
    ("integer-negative", "A negative integer.", "-42", None),
    ("integer-i64-min", "The smallest i64.", "-9223372036854775808", None),
    ("integer-i64-max", "The largest i64.", "9223372036854775807", None),
    ("integer-u64-max", "The largest u64.", "18446744073709551615", None),
    ("integer-beyond-f64", "2^53 + 1: must not go through a float.", "9007199254740993", None),
    ("negative-zero-integer", "The integer `-0` is written as `0`.", "-0", None),
    ("integers-in-array", "Integers inside containers.", '[1, -1, 0, -0, 100]', None),
    ("float-one", "`1.0` is a float: canonical JSON has no floats.", "1.0", "float"),
    ("float-exponent", "`1e2` is a float.", "1e2", "float"),
    ("float-exponent-uppercase", "`1E2` is a float.", "1E2", "float"),
    ("float-negative-zero", "`-0.0` is a float.", "-0.0", "float"),
    ("float-zero", "`0.0` is a float.", "0.0", "float"),
    ("float-nested", "A float deep inside an object.", '{"a": [1, {"b": 2.5}]}', "float"),
    ("float-huge", "`1e400` is a float (python parses it as infinity).", "1e400", "float"),
    ("nan-literal",
     "`NaN` is not JSON; python's json module accepts it as a float, which canonical JSON then rejects.",
     "NaN", "float"),
    ("infinity-literal", "`Infinity` is not JSON; python parses it as a float, then rejected.", "[Infinity]", "float"),
    ("literals", "true, false and null.", "[true, false, null]", None),
    ("literal-true", "A top-level true.", "true", None),
    ("literal-null", "A top-level null.", "null", None),
    ("array-order-preserved", "Arrays keep their order.", "[3, 1, 2]", None),
    ("mixed-array", "Values of every type.", '[1, "a", null, true, false, {}, []]', None),
    ("duplicate-keys",
     "Duplicate keys: python's json.loads keeps the LAST value, so the reference encodes {\"a\":2}.",
     '{"a": 1, "a": 2}', None),
    ("duplicate-keys-nested",
     "Duplicate keys in a nested object: python's json.loads keeps the LAST value.",
     '{"x": {"k": "first", "k": "last"}, "y": 0}', None),
    ("whitespace-variety", "Spaces, tabs, CR and LF between tokens are all dropped.",
     ' \t\n\r{ "a" :\t[ 1 ,\n2 ]\r\n, "b"\n:\r"c" }\n ', None),
    ("whitespace-none", "Input that is already canonical.", '{"a":[1,2],"b":"c"}', None),
    ("lone-surrogate",
     "A lone surrogate escape parses in python but cannot be encoded as UTF-8 for signing.",
     '"\\ud800"', "lone_surrogate"),
    ("invalid-trailing-comma", "A trailing comma is not JSON.", "[1, 2,]", "invalid_json"),
    ("invalid-single-quotes", "Single-quoted strings are not JSON.", "{'a': 1}", "invalid_json"),
    ("invalid-unquoted-key", "Unquoted keys are not JSON.", "{a: 1}", "invalid_json"),
    ("invalid-raw-control-character", "A raw control character (TAB) inside a string is not JSON.",
     '"a\tb"', "invalid_json"),
    ("invalid-leading-zero", "Numbers with a leading zero are not JSON.", "01", "invalid_json"),
    ("invalid-plus-sign", "A leading `+` is not JSON.", "+1", "invalid_json"),
    ("invalid-hex-number", "Hex numbers are not JSON.", "0x10", "invalid_json"),
    ("invalid-comment", "Comments are not JSON.", '{"a": 1 /* c */}', "invalid_json"),
    ("invalid-empty-input", "Empty input is not JSON.", "", "invalid_json"),
    ("invalid-truncated", "A truncated document.", '{"a": ', "invalid_json"),
    ("invalid-bare-word", "A bare word.", "hello", "invalid_json"),
    ("invalid-byte-order-mark", "A leading U+FEFF byte order mark.", '\ufeff{"a": 1}', "invalid_json"),
    ("invalid-bad-escape", "`\\x` is not a JSON escape.", '"\\x41"', "invalid_json"),
    ("invalid-two-values", "Two top-level values.", "1 2", "invalid_json"),
]


def contains_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(contains_float(v) for v in value)
    if isinstance(value, dict):
        return any(contains_float(v) for v in value.values())
    return False


def reference_canonical(text: str) -> tuple[str | None, str | None]:
    try:
        value = json.loads(text)
    except ValueError:
        return None, "invalid_json"
    try:
        out = encode_canonical(value)
    except FormatError:
        return None, "float" if contains_float(value) else "unencodable"
    assert out is not None
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        return None, "lone_surrogate"
    return out, None


def gen_canonical() -> list[dict[str, Any]]:
    cases = []
    names = set()
    for name, description, text, error in CANONICAL_CASES:
        assert name not in names, name
        names.add(name)
        expected, ref_error = reference_canonical(text)
        assert ref_error == error, f"canonical {name}: reference says {ref_error!r}, case says {error!r}"
        cases.append(
            {"name": name, "description": description, "input": text, "expected": expected, "error": error}
        )
    assert len(cases) >= 40
    return cases


# --------------------------------------------------------------------------------------
# keys.json
# --------------------------------------------------------------------------------------


def gen_keys(keys: dict[str, KeyEntry]) -> list[dict[str, Any]]:
    out = []
    for name, key in keys.items():
        public = key.public.to_dict()
        # securesystemslib's keyid: sha256 over canonical {keytype, scheme, keyval}
        assert key.keyid == compute_default_keyid(public["keytype"], public["scheme"], public["keyval"])
        out.append(
            {
                "name": name,
                "scheme": key.public.scheme,
                "keytype": key.public.keytype,
                "public_key": public,
                "keyid": key.keyid,
                "private_key_file": key.file,
            }
        )
    return out


# --------------------------------------------------------------------------------------
# signatures.json
# --------------------------------------------------------------------------------------

MESSAGE = b"spec-vectors test message"
OTHER_MESSAGE = b"spec-vectors other message"
CANONICAL_MESSAGE = canonical({"_type": "targets", "spec_version": "1.0.31", "n\u00e4me": "\u2713"})


def ecdsa_order(key: KeyEntry) -> int:
    return {
        "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        "secp384r1": int(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
            16,
        ),
    }[key.private.curve.name]


def der_non_minimal(sig: bytes) -> bytes:
    """Re-encode a DER ECDSA signature with a superfluous leading zero in r."""
    r, s = decode_dss_signature(sig)

    def integer(value: int, pad: bool) -> bytes:
        body = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
        if body[0] & 0x80:
            body = b"\x00" + body
        if pad:  # one more, superfluous, leading zero
            body = b"\x00" + body
        return b"\x02" + bytes([len(body)]) + body

    content = integer(r, True) + integer(s, False)
    if len(content) < 128:
        return b"\x30" + bytes([len(content)]) + content
    return b"\x30\x81" + bytes([len(content)]) + content


def gen_signatures(keys: dict[str, KeyEntry]) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(name: str, key: KeyEntry, message: bytes, signature: str, kind: str, valid: bool,
            lenient: str | None = None) -> None:
        """`valid` is the reference's verdict. `lenient` explains a case whose kind says it is
        bad but which the reference accepts (a stricter implementation may reject it)."""
        verdict = reference_verifies(key, message, signature)
        assert verdict == valid, f"signature {name}: reference says {verdict}, case says {valid}"
        assert kind in ("valid", "wrong_message", "wrong_key", "malformed", "wrong_encoding"), kind
        assert (kind == "valid" or lenient is not None) == valid, name
        case = {"name": name, "key": key.name, "message": message.hex(), "signature": signature,
                "kind": kind, "valid": valid}
        if lenient is not None:
            case["reference_lenient"] = True
            case["description"] = lenient
        cases.append(case)

    names = SCHEMES + ["ecdsa-sha2-nistp256-legacy-keytype", "ecdsa-sha2-nistp384-legacy-keytype",
                       "ed25519-extra-fields"]
    for kname in names:
        key = keys[kname]
        scheme = key.scheme
        sig = sign_key(key, MESSAGE)
        raw = bytes.fromhex(sig)
        add(f"{kname}-valid", key, MESSAGE, sig, "valid", True)
        add(f"{kname}-valid-empty-message", key, b"", sign_key(key, b""), "valid", True)
        add(f"{kname}-valid-canonical-json-message", key, CANONICAL_MESSAGE,
            sign_key(key, CANONICAL_MESSAGE), "valid", True)
        if kname == "ed25519-extra-fields":
            continue
        add(f"{kname}-valid-uppercase-hex", key, MESSAGE, sig.upper(), "valid", True)
        add(f"{kname}-wrong-message", key, OTHER_MESSAGE, sig, "wrong_message", False)
        add(f"{kname}-wrong-message-empty", key, b"", sig, "wrong_message", False)
        other = keys[OTHER_KEY[kname]]
        add(f"{kname}-wrong-key", key, MESSAGE, sign_with(other.private, scheme, MESSAGE), "wrong_key", False)
        add(f"{kname}-malformed-truncated", key, MESSAGE, raw[:-1].hex(), "malformed", False)
        flipped = bytearray(raw)
        flipped[len(flipped) // 2] ^= 0x01
        add(f"{kname}-malformed-bit-flipped", key, MESSAGE, bytes(flipped).hex(), "malformed", False)
        last_flipped = bytearray(raw)
        last_flipped[-1] ^= 0x80
        add(f"{kname}-malformed-last-bit-flipped", key, MESSAGE, bytes(last_flipped).hex(), "malformed", False)
        add(f"{kname}-malformed-empty", key, MESSAGE, "", "malformed", False)
        add(f"{kname}-malformed-all-zero", key, MESSAGE, bytes(len(raw)).hex(), "malformed", False)
        add(f"{kname}-malformed-appended-byte", key, MESSAGE, (raw + b"\x00").hex(), "malformed", False)
        add(f"{kname}-wrong-encoding-non-hex", key, MESSAGE, "zz" + sig[2:], "wrong_encoding", False)
        add(f"{kname}-wrong-encoding-odd-hex-length", key, MESSAGE, sig[:-1], "wrong_encoding", False)
        add(f"{kname}-wrong-encoding-base64", key, MESSAGE,
            base64.b64encode(raw).decode(), "wrong_encoding", False)

        if scheme == "ed25519":
            # s + L: the same signature with a non-canonical (unreduced) scalar.
            order = 2**252 + 27742317777372353535851937790883648493
            s = int.from_bytes(raw[32:], "little")
            malleated = raw[:32] + (s + order).to_bytes(32, "little")
            add(f"{kname}-wrong-encoding-non-canonical-s", key, MESSAGE, malleated.hex(), "wrong_encoding", False)
        elif scheme.startswith("ecdsa"):
            r, s = decode_dss_signature(raw)
            width = (key.private.curve.key_size + 7) // 8
            rs = r.to_bytes(width, "big") + s.to_bytes(width, "big")
            add(f"{kname}-wrong-encoding-raw-r-s", key, MESSAGE, rs.hex(), "wrong_encoding", False)
            add(f"{kname}-wrong-encoding-der-non-minimal", key, MESSAGE, der_non_minimal(raw).hex(),
                "wrong_encoding", False)
            high_s = encode_dss_signature(r, ecdsa_order(key) - s)
            add(f"{kname}-valid-high-s", key, MESSAGE, high_s.hex(), "valid", True)
        else:  # RSA
            add(f"{kname}-wrong-encoding-left-padded", key, MESSAGE, (b"\x00" + raw).hex(), "wrong_encoding", False)
            # A signature whose integer has a leading zero byte, with that byte removed.
            # PSS is randomised: retry the same message (the result is then reused). PKCS#1 v1.5 is
            # deterministic: search for a message whose signature starts with a zero byte.
            zero_message = b"spec-vectors leading zero signature"
            if scheme.startswith("rsa-pkcs1v15"):
                n = 0
                while raw_sign(key.private, scheme, zero_message, "default")[0] != 0:
                    n += 1
                    zero_message = b"spec-vectors leading zero signature %d" % n
            zsig = sign_with(key.private, scheme, zero_message, accept=lambda b: b[0] == 0)
            add(f"{kname}-valid-leading-zero-byte", key, zero_message, zsig, "valid", True)
            stripped = bytes.fromhex(zsig)[1:].hex()
            if scheme.startswith("rsassa-pss"):
                add(f"{kname}-wrong-encoding-leading-zero-stripped", key, zero_message, stripped,
                    "wrong_encoding", True,
                    lenient="The signature is one byte shorter than the modulus (its leading zero byte "
                            "removed). The reference (OpenSSL via pyca/cryptography) ACCEPTS it for "
                            "RSASSA-PSS, though RFC 8017 requires exactly k bytes.")
            else:
                add(f"{kname}-wrong-encoding-leading-zero-stripped", key, zero_message, stripped,
                    "wrong_encoding", False)
            if scheme.startswith("rsassa-pss"):
                add(f"{kname}-valid-salt-max", key, b"spec-vectors pss max salt",
                    sign_key(key, b"spec-vectors pss max salt", "salt-max"), "valid", True)
                add(f"{kname}-valid-salt-zero", key, b"spec-vectors pss zero salt",
                    sign_key(key, b"spec-vectors pss zero salt", "salt-zero"), "valid", True)
                add(f"{kname}-wrong-encoding-pkcs1v15-padding", key, MESSAGE,
                    sign_key(key, MESSAGE, "pkcs1v15"), "wrong_encoding", False)
            else:
                add(f"{kname}-wrong-encoding-pss-padding", key, MESSAGE,
                    sign_key(key, MESSAGE, "pss"), "wrong_encoding", False)
    return cases


# --------------------------------------------------------------------------------------
# metadata.json
# --------------------------------------------------------------------------------------


def md_text(md: Metadata) -> str:
    return md.to_bytes(JSONSerializer(compact=False)).decode("utf-8")


def dict_text(doc: Any, ascii_only: bool = True) -> str:
    """The layout of JSONSerializer(compact=False), for hand-mutated documents."""
    return json.dumps(doc, indent=1, separators=(",", ": "), sort_keys=True, ensure_ascii=ascii_only)


class MetadataBuilder:
    def __init__(self, keys: dict[str, KeyEntry]):
        self.keys = keys
        self.signing_key = keys["ed25519"]
        self.signer = CachingSigner(self.signing_key)
        self.cases: list[dict[str, Any]] = []
        self.names: set[str] = set()

    # ---- base documents -------------------------------------------------------------

    def root(self, spec_version: str = "1.0.31", **kwargs: Any) -> Metadata:
        root = Root(version=1, spec_version=spec_version, expires=EXPIRES, consistent_snapshot=True, **kwargs)
        for role in ("root", "timestamp", "snapshot", "targets"):
            root.add_key(self.signing_key.public, role)
        return Metadata(root)

    def timestamp(self) -> Metadata:
        return Metadata(Timestamp(version=1, spec_version="1.0.31", expires=EXPIRES, snapshot_meta=MetaFile(1)))

    def snapshot(self) -> Metadata:
        return Metadata(Snapshot(version=1, spec_version="1.0.31", expires=EXPIRES,
                                 meta={"targets.json": MetaFile(1)}))

    def targets(self, targets: dict[str, TargetFile] | None = None, delegations: Delegations | None = None) -> Metadata:
        return Metadata(Targets(version=1, spec_version="1.0.31", expires=EXPIRES, targets=targets,
                                delegations=delegations))

    def target(self, path: str, data: bytes, **extra: Any) -> TargetFile:
        tf = TargetFile.from_data(path, data, ["sha256"])
        tf.unrecognized_fields.update(extra)
        return tf

    def delegations(self) -> Delegations:
        key = self.keys["ecdsa-sha2-nistp256"].public
        return Delegations(
            keys={key.keyid: key},
            roles={
                "delegated": DelegatedRole("delegated", [key.keyid], 1, False, paths=["files/*", "docs/*.txt"]),
                "second": DelegatedRole("second", [key.keyid], 1, True, paths=["*"]),
            },
        )

    def succinct(self, bit_length: int) -> Delegations:
        key = self.keys["ed25519"].public
        return Delegations(keys={key.keyid: key},
                           succinct_roles=SuccinctRoles([key.keyid], 1, bit_length, "bin"))

    def signed_text(self, md: Metadata, *signers: Signer) -> str:
        for i, signer in enumerate(signers or (self.signer,)):
            md.sign(signer, append=i > 0)
        return md_text(md)

    # ---- reference verdict ------------------------------------------------------------

    def reference(self, document: str) -> str | None:
        """None if the reference accepts `document`, else the exception it raised.

        Accepting means: Metadata.from_bytes parses it, the signed part can be
        canonicalised (signed_bytes), and the test signing key's signature over it
        verifies.
        """
        try:
            md = Metadata.from_bytes(document.encode("utf-8"))
            payload = md.signed_bytes
            key = self.signing_key
            if key.keyid not in md.signatures:
                raise ValueError(f"no signature by {key.keyid}")
            key.public.verify_signature(md.signatures[key.keyid], payload)
            if isinstance(md.signed, Root):
                md.signed.verify_delegate("root", payload, md.signatures)
            return None
        except Exception as error:  # noqa: BLE001
            return describe_exception(error)

    def add(self, name: str, role: str, document: str, error: str | None = None,
            reference_accepts: bool = False, description: str = "") -> None:
        assert name not in self.names, name
        self.names.add(name)
        reference_error = self.reference(document)
        if error is None:
            assert reference_error is None, f"metadata {name}: reference rejects a valid case: {reference_error}"
        elif reference_accepts:
            assert reference_error is None, f"metadata {name}: reference does not accept: {reference_error}"
        else:
            assert reference_error is not None, f"metadata {name}: reference accepts an invalid case"
        case: dict[str, Any] = {
            "name": name,
            "role": role,
            "document": document,
            "valid": error is None,
            "error": error,
            "reference_error": reference_error,
        }
        if reference_accepts:
            case["reference_accepts"] = True
        if description:
            case["description"] = description
        self.cases.append(case)

    def resign(self, doc: dict[str, Any]) -> None:
        """Replace the signatures with a fresh one over the (mutated) signed part.

        When the reference can parse the mutated document, the payload is what the
        reference signs and verifies: the canonical form of its PARSED object (which for
        a lenient `expires` such as "2030-1-1T0:0:0Z" is the normalised
        "2030-01-01T00:00:00Z"). Otherwise it is the canonical form of the JSON as is.
        """
        try:
            payload = Metadata.from_dict(copy.deepcopy(doc)).signed_bytes
        except Exception:  # noqa: BLE001
            try:
                payload = canonical(doc["signed"])
            except Exception:  # noqa: BLE001 - floats: keep the stale signature
                return
        doc["signatures"] = [{"keyid": self.signing_key.keyid, "sig": sign_key(self.signing_key, payload)}]

    def mutate(self, name: str, role: str, base: str, error: str, change: Callable[[dict[str, Any]], Any],
               resign: bool = True, reference_accepts: bool = False, description: str = "") -> None:
        doc = json.loads(base)
        change(doc)
        if resign:
            self.resign(doc)
        self.add(name, role, dict_text(doc), error, reference_accepts, description)


def setter(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = copy.deepcopy(value)

    return change


def deleter(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def gen_metadata(keys: dict[str, KeyEntry]) -> list[dict[str, Any]]:  # noqa: PLR0915
    b = MetadataBuilder(keys)
    ed = keys["ed25519"]

    # ---- valid: root ----------------------------------------------------------------------
    root_text = b.signed_text(b.root())
    b.add("root-minimal", "root", root_text, description="python-tuf's default spec_version 1.0.31")
    b.add("root-spec-1.0", "root", b.signed_text(b.root("1.0")), description="Legacy X.Y spec_version")
    b.add("root-spec-1.0.34", "root", b.signed_text(b.root("1.0.34")))
    b.add("root-spec-1.99.0", "root", b.signed_text(b.root("1.99.0")),
          description="Any 1.x.y spec_version is supported (major version must match)")

    md = b.root()
    md.signed.consistent_snapshot = False
    b.add("root-consistent-snapshot-false", "root", b.signed_text(md))

    md = b.root()
    md.signed.version = 2**53 + 1
    b.add("root-version-beyond-f64", "root", b.signed_text(md), description="version 2^53+1 is exact only as an integer")

    md = b.root()
    md.signed.expires = datetime(1970, 1, 1, tzinfo=timezone.utc)
    b.add("root-expired", "root", b.signed_text(md), description="Expiry is checked by clients, not by parsing")
    md = b.root()
    md.signed.expires = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    b.add("root-expires-year-9999", "root", b.signed_text(md))

    md = b.root()
    for kname in keys:
        if kname != "ed25519":
            md.signed.add_key(keys[kname].public, "root")
    md.signed.roles["root"].threshold = len(keys)
    b.add("root-signed-by-every-key", "root",
          b.signed_text(md, *(CachingSigner(keys[k]) for k in keys)),
          description="Root role lists every test key (all schemes, legacy keytypes, extra fields) "
                      "with threshold = number of keys, and every key signs")

    md = b.root()
    md.signed.add_key(keys["rsassa-pss-sha256"].public, "targets")
    md.signed.add_key(keys["ecdsa-sha2-nistp384"].public, "targets")
    md.signed.roles["targets"].threshold = 2
    md.signed.roles["timestamp"].threshold = 1
    b.add("root-mixed-schemes-threshold-2", "root", b.signed_text(md))

    # unknown fields at every level of root
    md = b.root()
    md.signed.unrecognized_fields["x-unknown-signed"] = {"nested": [1, "two", None]}
    md.signed.roles["root"].unrecognized_fields["x-unknown-role"] = True
    md.signed.add_key(keys["ed25519-extra-fields"].public, "targets")
    md.unrecognized_fields["x-unknown-metadata"] = "top-level unknown field (not signed)"
    text = b.signed_text(md)
    doc = json.loads(text)
    doc["signatures"][0]["x-unknown-signature"] = "unknown field in a signature"
    b.add("root-unknown-fields", "root", dict_text(doc),
          description="Unknown fields in metadata, signed, role, key (top-level and keyval) and signature")

    # ---- valid: timestamp -----------------------------------------------------------------
    ts_text = b.signed_text(b.timestamp())
    b.add("timestamp-minimal", "timestamp", ts_text)
    md = b.timestamp()
    md.signed.snapshot_meta = MetaFile(7, 1234, {"sha256": hashlib.sha256(b"snapshot").hexdigest(),
                                                  "sha512": hashlib.sha512(b"snapshot").hexdigest()})
    md.signed.version = 42
    b.add("timestamp-hashes-and-length", "timestamp", b.signed_text(md))
    md = b.timestamp()
    md.signed.unrecognized_fields["x-unknown-signed"] = "yes"
    md.signed.snapshot_meta.unrecognized_fields["x-unknown-metafile"] = {"a": 1}
    b.add("timestamp-unknown-fields", "timestamp", b.signed_text(md))

    # ---- valid: snapshot ------------------------------------------------------------------
    sn_text = b.signed_text(b.snapshot())
    b.add("snapshot-minimal", "snapshot", sn_text)
    md = b.snapshot()
    md.signed.meta["delegated.json"] = MetaFile(3, 512, {"sha256": hashlib.sha256(b"d").hexdigest()})
    md.signed.meta["d\u00e9l\u00e9gu\u00e9.json"] = MetaFile(1)
    md.signed.meta["targets.json"] = MetaFile(2, 0, {"sha512": hashlib.sha512(b"").hexdigest()})
    b.add("snapshot-delegated-roles", "snapshot", b.signed_text(md),
          description="Several metafiles, a non-ASCII role name, length 0")
    md = b.snapshot()
    md.signed.meta["targets.json"].unrecognized_fields["x-unknown-metafile"] = [1, 2]
    md.signed.unrecognized_fields["x-unknown-signed"] = None
    b.add("snapshot-unknown-fields", "snapshot", b.signed_text(md))

    # ---- valid: targets -------------------------------------------------------------------
    tg_empty = b.signed_text(b.targets())
    b.add("targets-empty", "targets", tg_empty)
    one = {"files/hello.txt": b.target("files/hello.txt", b"hello\n")}
    tg_one = b.signed_text(b.targets(one))
    b.add("targets-one-target", "targets", tg_one)
    tf = TargetFile(5, {"sha256": hashlib.sha256(b"multi").hexdigest(),
                        "sha512": hashlib.sha512(b"multi").hexdigest()}, "multi.bin")
    b.add("targets-multiple-hashes", "targets", b.signed_text(b.targets({"multi.bin": tf})))
    b.add("targets-length-zero", "targets", b.signed_text(b.targets({"empty": b.target("empty", b"")})))
    paths = ["d\u00e9j\u00e0/vu.txt", "\u65e5\u672c/\u30d5\u30a1\u30a4\u30eb", "emoji/\U0001f600.bin",
             "nfd/cafe\u0301.txt", "space dir/a b.txt"]
    non_ascii = {p: b.target(p, p.encode("utf-8")) for p in paths}
    b.add("targets-non-ascii-paths", "targets", b.signed_text(b.targets(non_ascii)),
          description="Non-ASCII target paths, \\u-escaped by python-tuf's serializer")
    md = b.targets(non_ascii)
    md.sign(b.signer)
    b.add("targets-non-ascii-raw-utf8", "targets", dict_text(md.to_dict(), ascii_only=False),
          description="The same as targets-non-ascii-paths, but serialised as raw UTF-8")
    custom = {
        "custom": {
            "string": "h\u00e9llo \u2713",
            "nested": {"list": [1, -1, True, False, None], "empty": {}},
            "big": 18446744073709551615,
            "n\u00e4me": "unicode key",
        }
    }
    md = b.targets({"app.tgz": b.target("app.tgz", b"app", **custom)})
    b.add("targets-custom", "targets", b.signed_text(md), description="Arbitrary custom data in a target")
    md = b.targets({"app.tgz": b.target("app.tgz", b"app", **{"x-unknown-targetfile": 1})})
    md.signed.unrecognized_fields["x-unknown-signed"] = {"k": "v"}
    b.add("targets-unknown-fields", "targets", b.signed_text(md))

    # delegations
    md = b.targets(one, b.delegations())
    tg_deleg = b.signed_text(md)
    b.add("targets-delegations-paths", "targets", tg_deleg,
          description="Two delegated roles with paths, terminating false then true")
    dk = keys["ecdsa-sha2-nistp256"].public
    dl = Delegations(
        keys={dk.keyid: dk},
        roles={"hashed": DelegatedRole("hashed", [dk.keyid], 1, True, path_hash_prefixes=["0", "8f", "ffff"])},
    )
    b.add("targets-delegations-path-hash-prefixes", "targets", b.signed_text(b.targets(None, dl)))
    for bits in (1, 8, 14):
        b.add(f"targets-delegations-succinct-bit-length-{bits}", "targets",
              b.signed_text(b.targets(None, b.succinct(bits))))
    dl = b.delegations()
    dl.unrecognized_fields["x-unknown-delegations"] = "d"
    dl.roles["delegated"].unrecognized_fields["x-unknown-delegated-role"] = [True]
    b.add("targets-delegations-unknown-fields", "targets", b.signed_text(b.targets(None, dl)))
    sdl = b.succinct(4)
    sdl.succinct_roles.unrecognized_fields["x-unknown-succinct-roles"] = {"z": 0}
    b.add("targets-succinct-unknown-fields", "targets", b.signed_text(b.targets(None, sdl)))
    dl = Delegations(keys={}, roles={"nobody": DelegatedRole("nobody", [], 1, False, paths=[])})
    b.add("targets-delegation-without-keys", "targets", b.signed_text(b.targets(None, dl)),
          description="A delegated role with no keys and empty paths (useless but well-formed)")
    all_keys = {k.keyid: k.public for k in keys.values()}
    dl = Delegations(keys=all_keys, roles={
        "all-schemes": DelegatedRole("all-schemes", sorted(all_keys), 3, False, paths=["all/*"])
    })
    b.add("targets-delegation-keys-every-scheme", "targets", b.signed_text(b.targets(None, dl)))
    dl = Delegations(keys={}, roles={"d\u00e9l\u00e9gu\u00e9": DelegatedRole("d\u00e9l\u00e9gu\u00e9", [], 1, False,
                                                                            paths=["\u00fcber/*"])})
    b.add("targets-delegated-role-non-ascii-name", "targets", b.signed_text(b.targets(None, dl)))
    b.add("delegated-role-document", "delegated", b.signed_text(b.targets({
        "files/a.txt": b.target("files/a.txt", b"a")})),
        description="A delegated targets role's own metadata (_type targets)")

    # ---- invalid ----------------------------------------------------------------------------
    # json
    b.add("json-truncated", "root", root_text[: len(root_text) // 2], "json")
    b.add("json-trailing-comma", "timestamp", ts_text.rstrip().rstrip("}") + ",}", "json")
    b.add("json-empty-document", "root", "", "json")
    b.add("field-type-top-level-array", "root", "[" + root_text + "]", "field_type",
          description="Valid JSON, but not a metadata object")

    # type
    b.mutate("type-capitalised", "root", root_text, "type", setter(["signed", "_type"], "Root"))
    b.mutate("type-unknown", "targets", tg_one, "type", setter(["signed", "_type"], "mirrors"))
    b.mutate("type-not-a-string", "snapshot", sn_text, "type", setter(["signed", "_type"], 1))

    # spec_version
    for value, slug in (("2.0", "major-2"), ("1", "one-component"), ("1.a", "not-numeric"),
                        ("1.0.0.0", "four-components"), ("", "empty"), ("1.0.0-rc.1", "prerelease"),
                        ("v1.0", "v-prefix"), ("01.0", "leading-zero-major")):
        b.mutate(f"spec-version-{slug}", "root", root_text, "spec_version", setter(["signed", "spec_version"], value))
    b.mutate("spec-version-unicode-digit", "timestamp", ts_text, "spec_version",
             setter(["signed", "spec_version"], "1.\u0660"), reference_accepts=True,
             description="ARABIC-INDIC DIGIT ZERO passes python's str.isdigit(): the reference accepts it")
    b.mutate("spec-version-superscript-digit", "timestamp", ts_text, "spec_version",
             setter(["signed", "spec_version"], "1.0.\u00b2"), reference_accepts=True,
             description="SUPERSCRIPT TWO passes python's str.isdigit(): the reference accepts it")

    # version
    b.mutate("version-zero", "root", root_text, "version", setter(["signed", "version"], 0))
    b.mutate("version-negative", "timestamp", ts_text, "version", setter(["signed", "version"], -1))
    b.mutate("version-string", "snapshot", sn_text, "version", setter(["signed", "version"], "1"))
    b.mutate("version-float", "targets", tg_empty, "version", setter(["signed", "version"], 1.5),
             description="from_bytes accepts 1.5; canonicalisation rejects the float")
    b.mutate("version-boolean", "targets", tg_empty, "version", setter(["signed", "version"], True),
             reference_accepts=True,
             description="python's bool is an int: the reference accepts `true` as version 1 "
                         "(and canonicalises it as `true`)")
    b.mutate("metafile-version-zero", "timestamp", ts_text, "version",
             setter(["signed", "meta", "snapshot.json", "version"], 0))

    # expires
    for value, slug in (("2030-01-01", "date-only"), ("2030-01-01T00:00:00+00:00", "offset"),
                        ("2030-01-01T00:00:00.5Z", "fraction"), ("2030-01-01T00:00:00", "no-zone"),
                        ("2030-01-01 00:00:00Z", "space-separator"), ("2030-01-01T00:00:60Z", "leap-second"),
                        ("2030-02-30T00:00:00Z", "impossible-date"), ("2030-01-01T24:00:00Z", "hour-24"),
                        ("", "empty")):
        b.mutate(f"expires-{slug}", "root", root_text, "expires", setter(["signed", "expires"], value))
    b.mutate("expires-integer", "snapshot", sn_text, "expires", setter(["signed", "expires"], 1893456000))
    for value, slug, note in (
        ("2030-1-1T0:0:0Z", "unpadded", "python's strptime accepts unpadded fields"),
        ("2030-01-01T00:00:00z", "lowercase-z", "python's strptime matches literals case-insensitively"),
        ("2030-01-01t00:00:00Z", "lowercase-t", "python's strptime matches literals case-insensitively"),
        ("\u0662\u0660\u0663\u0660-01-01T00:00:00Z", "unicode-digits",
         "python's strptime accepts ARABIC-INDIC digits for %Y"),
    ):
        b.mutate(f"expires-{slug}", "timestamp", ts_text, "expires", setter(["signed", "expires"], value),
                 reference_accepts=True,
                 description=f"{note}: the reference ACCEPTS it; we are stricter. The signature is over "
                             "the reference's canonical form, which normalises expires to "
                             "2030-01-01T00:00:00Z")

    # threshold
    b.mutate("threshold-zero", "root", root_text, "threshold", setter(["signed", "roles", "root", "threshold"], 0))
    b.mutate("threshold-negative", "root", root_text, "threshold",
             setter(["signed", "roles", "targets", "threshold"], -1))
    b.mutate("threshold-zero-delegated-role", "targets", tg_deleg, "threshold",
             setter(["signed", "delegations", "roles", 0, "threshold"], 0))
    sc_text = b.signed_text(b.targets(None, b.succinct(8)))
    b.mutate("threshold-zero-succinct-roles", "targets", sc_text, "threshold",
             setter(["signed", "delegations", "succinct_roles", "threshold"], 0))

    # duplicate_signature
    def dup_sig(doc: dict[str, Any]) -> None:
        doc["signatures"].append(copy.deepcopy(doc["signatures"][0]))

    b.mutate("duplicate-signature-identical", "root", root_text, "duplicate_signature", dup_sig, resign=False)

    def dup_sig_other(doc: dict[str, Any]) -> None:
        doc["signatures"].append({"keyid": ed.keyid, "sig": "00" * 64})

    b.mutate("duplicate-signature-different-sig", "timestamp", ts_text, "duplicate_signature", dup_sig_other,
             resign=False, description="The valid signature first, then a second (bad) one with the same keyid")

    # root_roles
    b.mutate("root-roles-missing-timestamp", "root", root_text, "root_roles", deleter(["signed", "roles", "timestamp"]))
    b.mutate("root-roles-extra-role", "root", root_text, "root_roles",
             setter(["signed", "roles", "mirror"], {"keyids": [ed.keyid], "threshold": 1}))
    b.mutate("root-roles-empty", "root", root_text, "root_roles", setter(["signed", "roles"], {}))

    # nonunique_keyids
    b.mutate("nonunique-keyids-root-role", "root", root_text, "nonunique_keyids",
             setter(["signed", "roles", "snapshot", "keyids"], [ed.keyid, ed.keyid]))
    b.mutate("nonunique-keyids-delegated-role", "targets", tg_deleg, "nonunique_keyids",
             setter(["signed", "delegations", "roles", 1, "keyids"], [dk.keyid, dk.keyid]))
    b.mutate("nonunique-keyids-succinct-roles", "targets", sc_text, "nonunique_keyids",
             setter(["signed", "delegations", "succinct_roles", "keyids"], [ed.keyid, ed.keyid]))

    # hashes
    b.mutate("hashes-empty-targetfile", "targets", tg_one, "hashes",
             setter(["signed", "targets", "files/hello.txt", "hashes"], {}))
    b.mutate("hashes-empty-metafile", "timestamp", ts_text, "hashes",
             setter(["signed", "meta", "snapshot.json", "hashes"], {}))
    b.mutate("hashes-non-string-value", "targets", tg_one, "hashes",
             setter(["signed", "targets", "files/hello.txt", "hashes"], {"sha256": 12345}))
    b.mutate("hashes-list", "snapshot", sn_text, "hashes",
             setter(["signed", "meta", "targets.json", "hashes"], ["sha256", "00"]))

    # length
    b.mutate("length-negative-targetfile", "targets", tg_one, "length",
             setter(["signed", "targets", "files/hello.txt", "length"], -1))
    b.mutate("length-negative-metafile", "snapshot", sn_text, "length",
             setter(["signed", "meta", "targets.json", "length"], -1))

    # missing_field
    for slug, role, base, path in (
        ("signed-expires", "root", root_text, ["signed", "expires"]),
        ("signed-version", "snapshot", sn_text, ["signed", "version"]),
        ("signed-spec-version", "timestamp", ts_text, ["signed", "spec_version"]),
        ("signed-type", "targets", tg_empty, ["signed", "_type"]),
        ("root-keys", "root", root_text, ["signed", "keys"]),
        ("root-roles", "root", root_text, ["signed", "roles"]),
        ("role-threshold", "root", root_text, ["signed", "roles", "root", "threshold"]),
        ("role-keyids", "root", root_text, ["signed", "roles", "root", "keyids"]),
        ("key-keyval", "root", root_text, ["signed", "keys", ed.keyid, "keyval"]),
        ("key-scheme", "root", root_text, ["signed", "keys", ed.keyid, "scheme"]),
        ("timestamp-meta", "timestamp", ts_text, ["signed", "meta"]),
        ("timestamp-snapshot-json", "timestamp", ts_text, ["signed", "meta", "snapshot.json"]),
        ("snapshot-meta", "snapshot", sn_text, ["signed", "meta"]),
        ("metafile-version", "snapshot", sn_text, ["signed", "meta", "targets.json", "version"]),
        ("targets-targets", "targets", tg_empty, ["signed", "targets"]),
        ("targetfile-hashes", "targets", tg_one, ["signed", "targets", "files/hello.txt", "hashes"]),
        ("targetfile-length", "targets", tg_one, ["signed", "targets", "files/hello.txt", "length"]),
        ("delegations-keys", "targets", tg_deleg, ["signed", "delegations", "keys"]),
        ("delegated-role-terminating", "targets", tg_deleg, ["signed", "delegations", "roles", 0, "terminating"]),
        ("delegated-role-name", "targets", tg_deleg, ["signed", "delegations", "roles", 0, "name"]),
        ("succinct-roles-name-prefix", "targets", sc_text,
         ["signed", "delegations", "succinct_roles", "name_prefix"]),
        ("metadata-signed", "root", root_text, ["signed"]),
    ):
        b.mutate(f"missing-field-{slug}", role, base, "missing_field", deleter(path))
    b.mutate("missing-field-metadata-signatures", "root", root_text, "missing_field", deleter(["signatures"]),
             resign=False)

    def drop_sig(doc: dict[str, Any]) -> None:
        del doc["signatures"][0]["sig"]

    b.mutate("missing-field-signature-sig", "root", root_text, "missing_field", drop_sig, resign=False)

    # field_type
    for slug, role, base, path, value in (
        ("keyids-string", "root", root_text, ["signed", "roles", "root", "keyids"], ed.keyid),
        ("keyids-integer", "root", root_text, ["signed", "roles", "root", "keyids"], 1),
        ("threshold-string", "root", root_text, ["signed", "roles", "root", "threshold"], "1"),
        ("targets-list", "targets", tg_empty, ["signed", "targets"], []),
        ("keys-list", "root", root_text, ["signed", "keys"], []),
        ("length-string", "targets", tg_one, ["signed", "targets", "files/hello.txt", "length"], "6"),
        ("spec-version-integer", "root", root_text, ["signed", "spec_version"], 1),
        ("signed-array", "root", root_text, ["signed"], []),
        ("paths-integers", "targets", tg_deleg, ["signed", "delegations", "roles", 0, "paths"], [1, 2]),
        ("bit-length-string", "targets", sc_text, ["signed", "delegations", "succinct_roles", "bit_length"], "8"),
        ("name-prefix-integer", "targets", sc_text, ["signed", "delegations", "succinct_roles", "name_prefix"], 7),
    ):
        b.mutate(f"field-type-{slug}", role, base, "field_type", setter(path, value))
    b.mutate("field-type-signatures-object", "root", root_text, "field_type",
             setter(["signatures"], {ed.keyid: "00"}), resign=False)
    for slug, role, base, path, value, note in (
        ("consistent-snapshot-string", "root", root_text, ["signed", "consistent_snapshot"], "yes",
         "python-tuf does not type-check consistent_snapshot"),
        ("terminating-string", "targets", tg_deleg, ["signed", "delegations", "roles", 0, "terminating"], "no",
         "python-tuf does not type-check terminating"),
        ("custom-not-object", "targets", tg_one, ["signed", "targets", "files/hello.txt", "custom"], "x",
         "python-tuf does not validate custom (the spec says it is an object)"),
    ):
        b.mutate(f"field-type-{slug}", role, base, "field_type", setter(path, value), reference_accepts=True,
                 description=f"{note}: the reference ACCEPTS it; we are stricter")

    # delegated roles
    def dup_role(doc: dict[str, Any]) -> None:
        roles = doc["signed"]["delegations"]["roles"]
        roles.append(copy.deepcopy(roles[0]))

    b.mutate("delegated-role-duplicate", "targets", tg_deleg, "delegated_role_duplicate", dup_role)
    for value, slug in (("", "empty"), ("root", "root"), ("targets", "targets"), ("timestamp", "timestamp"),
                        ("snapshot", "snapshot")):
        b.mutate(f"delegated-role-name-{slug}", "targets", tg_deleg, "delegated_role_name",
                 setter(["signed", "delegations", "roles", 0, "name"], value))

    def both_paths(doc: dict[str, Any]) -> None:
        doc["signed"]["delegations"]["roles"][0]["path_hash_prefixes"] = ["ab"]

    def no_paths(doc: dict[str, Any]) -> None:
        del doc["signed"]["delegations"]["roles"][0]["paths"]

    b.mutate("paths-and-path-hash-prefixes", "targets", tg_deleg, "paths_and_prefixes", both_paths)
    b.mutate("neither-paths-nor-path-hash-prefixes", "targets", tg_deleg, "paths_and_prefixes", no_paths)

    def both_roles(doc: dict[str, Any]) -> None:
        doc["signed"]["delegations"]["succinct_roles"] = {
            "keyids": [ed.keyid], "threshold": 1, "bit_length": 2, "name_prefix": "bin"}

    def no_roles(doc: dict[str, Any]) -> None:
        del doc["signed"]["delegations"]["roles"]

    b.mutate("roles-and-succinct-roles", "targets", tg_deleg, "roles_and_succinct", both_roles)
    b.mutate("neither-roles-nor-succinct-roles", "targets", tg_deleg, "roles_and_succinct", no_roles)

    for value in (0, 33, -1):
        b.mutate(f"bit-length-{value}", "targets", sc_text, "bit_length",
                 setter(["signed", "delegations", "succinct_roles", "bit_length"], value))

    # float
    for slug, role, base, path in (
        ("custom-field", "targets", tg_one, ["signed", "targets", "files/hello.txt", "custom"]),
        ("unknown-signed-field", "root", root_text, ["signed", "x-float"]),
        ("unknown-role-field", "root", root_text, ["signed", "roles", "root", "x-float"]),
        ("unknown-metafile-field", "snapshot", sn_text, ["signed", "meta", "targets.json", "x-float"]),
    ):
        b.mutate(f"float-{slug}", role, base, "float", setter(path, {"value": 1.5} if "custom" in slug else 0.5),
                 description="A float in signed: the reference parses it but cannot canonicalise it")
    b.mutate("float-integral-value", "timestamp", ts_text, "float", setter(["signed", "x-float"], 1.0),
             description="1.0 is a float even though it is integral")

    valid = sum(1 for c in b.cases if c["valid"])
    assert valid >= 20 and len(b.cases) >= 60, (valid, len(b.cases))
    return b.cases


# --------------------------------------------------------------------------------------
# repositories/<name>/
# --------------------------------------------------------------------------------------


class RepoBuilder:
    def __init__(self, name: str, outputs: dict[str, bytes]):
        self.name = name
        self.outputs = outputs
        self.files: dict[str, bytes] = {}

    def put(self, filename: str, data: bytes) -> bytes:
        self.files[filename] = data
        self.outputs[f"repositories/{self.name}/{filename}"] = data
        return data

    def write(self, filename: str, md: Metadata, *signers: KeyEntry) -> bytes:
        for i, key in enumerate(signers):
            md.sign(CachingSigner(key), append=i > 0)
        # Exactly what Metadata.to_file() writes (its default serializer).
        return self.put(filename, md.to_bytes())


TARGET_CONTENT = {
    "readme.txt": b"A repository made by python-tuf for spec-vectors.\n",
    "files/hello.txt": b"hello, world\n",
}


def build_repository(
    outputs: dict[str, bytes],
    name: str,
    root_keys: list[KeyEntry],
    root_threshold: int,
    root_signers: list[KeyEntry],
    role_key: KeyEntry,
    delegation: str = "paths",
    rotate_to: KeyEntry | None = None,
    bins_key: KeyEntry | None = None,
) -> None:
    repo = RepoBuilder(name, outputs)
    index: dict[str, Any] = {"roles": {}, "delegations": [], "target_files": {}}

    # targets + delegations
    targets = Targets(version=1, spec_version="1.0.31", expires=REPO_EXPIRES)
    readme = TargetFile.from_data("readme.txt", TARGET_CONTENT["readme.txt"], ["sha256", "sha512"])
    targets.targets["readme.txt"] = readme
    delegated_files: dict[str, Metadata] = {}
    if delegation == "paths":
        targets.delegations = Delegations(keys={role_key.keyid: role_key.public}, roles={
            "delegated": DelegatedRole("delegated", [role_key.keyid], 1, True, paths=["files/*"])})
        delegated = Targets(version=1, spec_version="1.0.31", expires=REPO_EXPIRES)
        delegated.targets["files/hello.txt"] = TargetFile.from_data(
            "files/hello.txt", TARGET_CONTENT["files/hello.txt"], ["sha256"])
        delegated_files["delegated"] = Metadata(delegated)
        index["target_files"]["files/hello.txt"] = {"role": "delegated", "file": "targets/files/hello.txt"}
    else:
        assert bins_key is not None
        succinct = SuccinctRoles([bins_key.keyid], 1, 3, "bin")
        targets.delegations = Delegations(keys={bins_key.keyid: bins_key.public}, succinct_roles=succinct)
        for bin_name in succinct.get_roles():
            delegated_files[bin_name] = Metadata(Targets(version=1, spec_version="1.0.31", expires=REPO_EXPIRES))
        # one target file per bin
        n = 0
        while any(not md.signed.targets for md in delegated_files.values()):
            path = f"files/file-{n}.txt"
            bin_name = succinct.get_role_for_target(path)
            bin_targets = delegated_files[bin_name].signed.targets
            if not bin_targets:
                content = f"content of {path}\n".encode()
                TARGET_CONTENT[path] = content
                bin_targets[path] = TargetFile.from_data(path, content, ["sha256"])
                index["target_files"][path] = {"role": bin_name, "file": f"targets/{path}"}
            n += 1
    index["target_files"]["readme.txt"] = {"role": "targets", "file": "targets/readme.txt"}
    for path, info in index["target_files"].items():
        repo.put(info["file"], TARGET_CONTENT[path])

    snapshot = Snapshot(version=1, spec_version="1.0.31", expires=REPO_EXPIRES, meta={})
    for role_name, md in delegated_files.items():
        data = repo.write(f"{role_name}.json", md, bins_key or role_key)
        snapshot.meta[f"{role_name}.json"] = MetaFile.from_data(1, data, ["sha256"])
        index["delegations"].append(["targets", role_name, f"{role_name}.json"])
    data = repo.write("targets.json", Metadata(targets), role_key)
    snapshot.meta["targets.json"] = MetaFile.from_data(1, data, ["sha256"])
    index["roles"]["targets"] = "targets.json"
    data = repo.write("snapshot.json", Metadata(snapshot), role_key)
    index["roles"]["snapshot"] = "snapshot.json"
    timestamp = Timestamp(version=1, spec_version="1.0.31", expires=REPO_EXPIRES,
                          snapshot_meta=MetaFile.from_data(1, data, ["sha256"]))
    repo.write("timestamp.json", Metadata(timestamp), role_key)
    index["roles"]["timestamp"] = "timestamp.json"

    def make_root(version: int, keys: list[KeyEntry], threshold: int) -> Root:
        root = Root(version=version, spec_version="1.0.31", expires=REPO_EXPIRES, consistent_snapshot=False)
        for key in keys:
            root.add_key(key.public, "root")
        root.roles["root"].threshold = threshold
        for role in ("timestamp", "snapshot", "targets"):
            root.add_key(role_key.public, role)
        return root

    root1 = make_root(1, root_keys, root_threshold)
    if rotate_to is None:
        repo.write("root.json", Metadata(root1), *root_signers)
        index["trusted_root"] = "root.json"
        index["roles"]["root"] = "root.json"
    else:
        repo.write("1.root.json", Metadata(root1), *root_signers)
        root2 = make_root(2, [rotate_to], 1)
        data = repo.write("2.root.json", Metadata(root2), *root_signers, rotate_to)
        repo.put("root.json", data)
        index["trusted_root"] = "1.root.json"
        index["root_updates"] = ["2.root.json"]
        index["roles"]["root"] = "root.json"
    repo.put("index.json", dumps(index).encode("utf-8"))


def gen_repositories(outputs: dict[str, bytes], keys: dict[str, KeyEntry]) -> None:
    for scheme in SCHEMES + ["ecdsa-sha2-nistp256-legacy-keytype"]:
        key = keys[scheme]
        build_repository(outputs, scheme, [key], 1, [key], key)
    mixed = [keys["ed25519"], keys["ecdsa-sha2-nistp256"], keys["rsassa-pss-sha256"]]
    build_repository(outputs, "threshold", mixed, 2, mixed[:2], keys["ed25519"])
    build_repository(outputs, "succinct", [keys["ed25519"]], 1, [keys["ed25519"]], keys["ed25519"],
                     delegation="succinct", bins_key=keys["ecdsa-sha2-nistp256"])
    build_repository(outputs, "rotated", [keys["ed25519"]], 1, [keys["ed25519"]], keys["ecdsa-sha2-nistp256"],
                     rotate_to=keys["ed25519-rotated"])


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


# data/conformance/ is written by `tuf-conformance export` (see its README.md), not by this
# generator: never compared, written or removed here.
NOT_OURS = "conformance"


def ours(rel: str) -> bool:
    return rel.split("/", 1)[0] != NOT_OURS


def read_existing() -> dict[str, bytes]:
    existing = {}
    if DATA.is_dir():
        for path in sorted(DATA.rglob("*")):
            rel = path.relative_to(DATA).as_posix()
            if path.is_file() and ours(rel):
                existing[rel] = path.read_bytes()
    return existing


KEYS_README = """\
TEST KEYS ONLY - NEVER USE THESE FOR ANYTHING BUT TESTS.

These private keys are published on purpose: they sign the spec-vectors test data.
They are PKCS#8 PEM files, made once by ../../generator/generate.py (only when missing).
"""


def generate(existing: dict[str, bytes]) -> dict[str, bytes]:
    outputs: dict[str, bytes] = {}
    outputs["keys/README.txt"] = KEYS_README.encode("utf-8")
    keys = load_keys(outputs, existing)
    CACHE.load(existing)
    outputs["canonical_json.json"] = dumps(gen_canonical()).encode("utf-8")
    outputs["keys.json"] = dumps(gen_keys(keys)).encode("utf-8")
    outputs["signatures.json"] = dumps(gen_signatures(keys)).encode("utf-8")
    outputs["metadata.json"] = dumps(gen_metadata(keys)).encode("utf-8")
    gen_repositories(outputs, keys)
    return outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 listing the files that differ from the committed ones")
    args = parser.parse_args()

    existing = read_existing()
    outputs = generate(existing)
    stale = sorted(
        [rel for rel, data in outputs.items() if existing.get(rel) != data]
        + [rel for rel in existing if rel not in outputs]
    )
    if args.check:
        if stale:
            print("stale spec-vectors (run `cargo xtask vectors`):", file=sys.stderr)
            for rel in stale:
                state = "missing" if rel not in existing else "extra" if rel not in outputs else "differs"
                print(f"  data/{rel} ({state})", file=sys.stderr)
            return 1
        print(f"spec-vectors are fresh ({len(outputs)} files)")
        return 0

    for rel in stale:
        path = DATA / rel
        if rel not in outputs:
            path.unlink()
            print(f"removed data/{rel}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(outputs[rel])
        print(f"wrote data/{rel}")
    # drop directories left empty by removed files
    for path in sorted(DATA.rglob("*"), reverse=True):
        if path.is_dir() and ours(path.relative_to(DATA).as_posix()) and not any(path.iterdir()):
            path.rmdir()
    print(f"spec-vectors: {len(outputs)} files, {len(stale)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

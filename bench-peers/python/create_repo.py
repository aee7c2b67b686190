#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""python-tuf's side of repository creation for `cargo xtask bench-peers`.

    create_repo.py ROOT KEY_PEM HASHES_TSV OUT_DIR [--bins N]

With python-tuf's Metadata API (as its examples do, `examples/manual_repo/`): starts from the
signed ROOT, lists every target of HASHES_TSV (`path<TAB>length<TAB>sha256`, known hashes) in
targets or, with --bins, in N succinct hash bins (TAP 15) delegated from targets; signs every
role with the ed25519 key KEY_PEM and writes 1.root.json, 1.targets.json (and 1.<bin>.json),
1.snapshot.json and timestamp.json to OUT_DIR, as python-tuf serialises them by default.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Delegations,
    MetaFile,
    Metadata,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer


def main(argv: list[str]) -> int:
    bins = None
    if len(argv) == 6 and argv[4] == "--bins":
        bins = int(argv[5])
        argv = argv[:4]
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 1
    root_path, key_path, hashes_path, out = argv
    with open(key_path, "rb") as f:
        signer = CryptoSigner(load_pem_private_key(f.read(), password=None))
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=365)
    serializer = JSONSerializer(compact=False)
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(root_path, os.path.join(out, "1.root.json"))

    targets = Metadata(Targets(expires=expires))
    snapshot = Metadata(Snapshot(expires=expires))
    files = []
    with open(hashes_path, encoding="utf-8") as f:
        for line in f:
            path, length, sha256 = line.rstrip("\n").split("\t")
            files.append(TargetFile(int(length), {"sha256": sha256}, path))

    if bins is None:
        for file in files:
            targets.signed.targets[file.path] = file
    else:
        succinct = SuccinctRoles([signer.public_key.keyid], 1, bins.bit_length() - 1, "bin")
        targets.signed.delegations = Delegations(
            keys={signer.public_key.keyid: signer.public_key},
            succinct_roles=succinct,
        )
        per_bin = {name: Metadata(Targets(expires=expires)) for name in succinct.get_roles()}
        for file in files:
            per_bin[succinct.get_role_for_target(file.path)].signed.targets[file.path] = file
        for name, md in per_bin.items():
            md.sign(signer)
            md.to_file(os.path.join(out, f"1.{name}.json"), serializer)
            snapshot.signed.meta[f"{name}.json"] = MetaFile(version=1)

    targets.sign(signer)
    targets.to_file(os.path.join(out, "1.targets.json"), serializer)
    snapshot.signed.meta["targets.json"] = MetaFile(version=1)
    snapshot.sign(signer)
    snapshot.to_file(os.path.join(out, "1.snapshot.json"), serializer)
    timestamp = Metadata(Timestamp(expires=expires))
    timestamp.signed.snapshot_meta = MetaFile(version=1)
    timestamp.sign(signer)
    timestamp.to_file(os.path.join(out, "timestamp.json"), serializer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

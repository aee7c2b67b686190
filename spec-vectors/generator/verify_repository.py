#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""Verify a whole TUF repository directory with the reference (python-tuf).

    python verify_repository.py DIR

DIR holds metadata files and an `index.json` (the layout of
spec-vectors/data/repositories/<name>/):

    {
      "trusted_root": "1.root.json",            # the root trusted out of band
      "root_updates": ["2.root.json"],          # optional: newer roots, in order
      "roles": {"root": "root.json", "timestamp": ..., "snapshot": ..., "targets": ...},
      "delegations": [["targets", "delegated", "delegated.json"], ...],  # in walk order
      "target_files": {"files/a.txt": {"role": "delegated", "file": "targets/files/a.txt"}}
    }

Checks, all with python-tuf's Metadata API:

* the trusted root is signed by its own root threshold; each root update is
  signed by the threshold of the previous root AND of itself
  (Root.verify_delegate), with version = previous + 1; `roles.root` is the last
  root (same content);
* timestamp, snapshot and targets are each signed by the threshold root sets
  (Root.verify_delegate) and have the right `_type`;
* timestamp's snapshot meta and snapshot's meta (version, length, hashes) match
  the files;
* each delegation is signed as its delegator says (Targets.verify_delegate,
  which covers succinct hash bins), and the delegator delegates the role;
* each listed target file matches its TargetFile (length and hashes), and the
  role listing it is trusted for that path;
* nothing has expired.

Prints one JSON line {"ok": bool, "errors": [...]} and exits 0 iff ok (2 on
a usage error).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

from tuf.api.metadata import Metadata, Root, Targets

warnings.filterwarnings("ignore", category=DeprecationWarning)


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    if error.__cause__ is not None:
        text += f" <- {type(error.__cause__).__name__}: {error.__cause__}"
    return text


class Checker:
    def __init__(self, directory: Path):
        self.directory = directory
        self.errors: list[str] = []

    def check(self, what: str, func: Any, *args: Any) -> Any:
        """Run one check; record a failure instead of stopping."""
        try:
            return func(*args)
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"{what}: {describe(error)}")
            return None

    def read(self, filename: str) -> bytes:
        return (self.directory / filename).read_bytes()

    def load(self, filename: str) -> tuple[bytes, Metadata] | None:
        def inner() -> tuple[bytes, Metadata]:
            data = self.read(filename)
            return data, Metadata.from_bytes(data)

        return self.check(f"load {filename}", inner)

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            self.errors.append(message)

    def run(self) -> None:  # noqa: PLR0912, PLR0915
        index = self.check("read index.json", lambda: json.loads(self.read("index.json")))
        if index is None:
            return

        # ---- root chain ------------------------------------------------------------------
        loaded = self.load(index["trusted_root"])
        if loaded is None:
            return
        root_data, root_md = loaded
        if not isinstance(root_md.signed, Root):
            self.errors.append(f"{index['trusted_root']}: not a root")
            return
        root: Root = root_md.signed
        self.check(f"{index['trusted_root']} signed by itself", root.verify_delegate, "root",
                   root_md.signed_bytes, root_md.signatures)
        for filename in index.get("root_updates", []):
            loaded = self.load(filename)
            if loaded is None:
                return
            new_data, new_md = loaded
            if not isinstance(new_md.signed, Root):
                self.errors.append(f"{filename}: not a root")
                return
            payload = new_md.signed_bytes
            self.check(f"{filename} signed by root v{root.version}", root.verify_delegate, "root", payload,
                       new_md.signatures)
            self.check(f"{filename} signed by itself", new_md.signed.verify_delegate, "root", payload,
                       new_md.signatures)
            self.expect(new_md.signed.version == root.version + 1,
                        f"{filename}: version {new_md.signed.version} after {root.version}")
            root, root_data = new_md.signed, new_data
        final = index["roles"].get("root")
        if final is not None:
            self.check(f"{final} is the last root", lambda: self.expect(
                self.read(final) == root_data, f"{final} differs from the last root of the chain"))
        self.expect(not root.is_expired(), f"root v{root.version} expired")

        # ---- top-level roles ---------------------------------------------------------------
        mds: dict[str, tuple[bytes, Metadata]] = {}
        for role in ("timestamp", "snapshot", "targets"):
            filename = index["roles"][role]
            loaded = self.load(filename)
            if loaded is None:
                continue
            data, md = loaded
            self.expect(md.signed.type == role, f"{filename}: _type {md.signed.type}, expected {role}")
            self.check(f"{filename} signed for {role}", root.verify_delegate, role, md.signed_bytes, md.signatures)
            self.expect(not md.signed.is_expired(), f"{filename} expired")
            mds[role] = (data, md)

        snapshot = mds.get("snapshot")
        if "timestamp" in mds and snapshot is not None:
            meta = mds["timestamp"][1].signed.snapshot_meta
            self.check("timestamp's snapshot meta", meta.verify_length_and_hashes, snapshot[0])
            self.expect(meta.version == snapshot[1].signed.version, "timestamp's snapshot version differs")

        def check_snapshot_meta(role: str, data: bytes, md: Metadata) -> None:
            if snapshot is None:
                return
            meta = snapshot[1].signed.meta.get(f"{role}.json")
            if meta is None:
                self.errors.append(f"snapshot has no {role}.json")
                return
            self.check(f"snapshot's {role}.json meta", meta.verify_length_and_hashes, data)
            self.expect(meta.version == md.signed.version, f"snapshot's {role}.json version differs")

        if "targets" in mds:
            check_snapshot_meta("targets", *mds["targets"])

        # ---- delegations -------------------------------------------------------------------
        targets_mds: dict[str, Metadata] = {}
        if "targets" in mds:
            targets_mds["targets"] = mds["targets"][1]
        for delegator, delegatee, filename in index.get("delegations", []):
            parent = targets_mds.get(delegator)
            if parent is None:
                self.errors.append(f"{filename}: delegator {delegator} not verified")
                continue
            loaded = self.load(filename)
            if loaded is None:
                continue
            data, md = loaded
            self.expect(isinstance(md.signed, Targets), f"{filename}: not a targets role")
            self.check(f"{filename} signed for {delegatee} by {delegator}", parent.signed.verify_delegate,
                       delegatee, md.signed_bytes, md.signatures)
            self.expect(not md.signed.is_expired(), f"{filename} expired")
            check_snapshot_meta(delegatee, data, md)
            targets_mds[delegatee] = md

        # ---- target files --------------------------------------------------------------------
        delegators = {delegatee: delegator for delegator, delegatee, _ in index.get("delegations", [])}
        for path, info in index.get("target_files", {}).items():
            md = targets_mds.get(info["role"])
            if md is None:
                self.errors.append(f"target {path}: role {info['role']} not verified")
                continue
            target = md.signed.targets.get(path)
            if target is None:
                self.errors.append(f"target {path}: not listed by {info['role']}")
                continue
            self.check(f"target {path}", lambda t=target, f=info["file"]: t.verify_length_and_hashes(self.read(f)))
            parent_name = delegators.get(info["role"])
            if parent_name is not None and parent_name in targets_mds:
                delegations = targets_mds[parent_name].signed.delegations
                trusted = delegations is not None and any(
                    name == info["role"] for name, _ in delegations.get_roles_for_target(path))
                self.expect(trusted, f"target {path}: {info['role']} is not trusted for it")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    checker = Checker(Path(sys.argv[1]))
    checker.run()
    ok = not checker.errors
    print(json.dumps({"ok": ok, "errors": checker.errors}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

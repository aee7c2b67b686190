#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""Build a complete TUF repository with python-tuf, laid out for serving to a client.

    python make_client_repo.py OUTDIR [--scheme S] [--layout flat|delegations|succinct]
        [--no-consistent-snapshot] [--versions N] [--rotate-root] [--expired ROLE]
        [--meta-hashes] [--key-dir DIR] [--check]

The end-to-end tests of tuf-client serve the output over HTTP and run the client against it
(see docs of the client protocol, CLIENT-CLI.md). Every file is named exactly as a client
requests it:

    OUTDIR/state-K/metadata/1.root.json, 2.root.json, ...   every root version
                            timestamp.json
                            K.snapshot.json, K.targets.json, K.<quoted role>.json
                            (without consistent snapshots: snapshot.json, targets.json,
                            <quoted role>.json)
    OUTDIR/state-K/targets/ dir/<sha256>.<name> and dir/<sha512>.<name>
                            (without consistent snapshots: dir/<name>)
    OUTDIR/metadata, OUTDIR/targets    a copy of the last state
    OUTDIR/summary.json                the summary (also printed as one line on stdout)

State K (K = 1..N with `--versions N`) is the repository after its K-th publication:
timestamp, snapshot, targets and every delegated role have version K, `state.txt` says
"state K". With consistent snapshots a state keeps the files of earlier states (as a real
consistent-snapshot repository does); without, it holds only its own.

Options:
  --scheme       the signature scheme of every key (the nine TUF schemes; fresh keys).
  --layout       flat:        top-level targets only;
                 delegations: `projects` (paths projects/*, projects/*/*) delegates to the
                              terminating `projects/deep` (paths projects/deep/*), whose file
                              is `projects%2Fdeep.json`;
                 succinct:    succinct_roles, bit_length 4, name_prefix "bin": 16 bins
                              bin-0 .. bin-f, bins/file-N.txt (N = 0, 1, ... until every
                              bin holds one) placed by get_role_for_target.
  --rotate-root  2.root.json: a new root key, signed by the old and the new root keys.
  --expired ROLE that role (root: every root version) expires in the past, in every state.
  --meta-hashes  snapshot lists length and sha256 of targets and delegated roles (the
                 timestamp always lists them for the snapshot).
  --key-dir DIR  keep the private keys there (PEM, one per role and scheme) and reuse them on
                 later runs, so that two repositories share their keys (and their root).
  --check        before printing the summary, run python-tuf's ngclient over every state in
                 order and download every target (expecting an ExpiredMetadataError when
                 --expired is given); exit 1 on a surprise.

Everything but the signatures (ECDSA and RSASSA-PSS are randomised) and the keys is
deterministic: dates, versions, contents, file names.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib import parse

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api import exceptions
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

warnings.filterwarnings("ignore", category=DeprecationWarning)

SPEC_VERSION = "1.0.31"
EXPIRES = datetime(2099, 1, 1, tzinfo=timezone.utc)
EXPIRED = datetime(2020, 1, 1, tzinfo=timezone.utc)
HASH_ALGORITHMS = ["sha256", "sha512"]

SCHEMES = {
    "ed25519": "ed25519",
    "ecdsa-sha2-nistp256": "p256",
    "ecdsa-sha2-nistp384": "p384",
    "rsassa-pss-sha256": "rsa",
    "rsassa-pss-sha384": "rsa",
    "rsassa-pss-sha512": "rsa",
    "rsa-pkcs1v15-sha256": "rsa",
    "rsa-pkcs1v15-sha384": "rsa",
    "rsa-pkcs1v15-sha512": "rsa",
}


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


class Keys:
    """One key per key name, all of one scheme, made on first use (or read from key_dir)."""

    def __init__(self, scheme: str, key_dir: Path | None):
        self.scheme = scheme
        self.key_dir = key_dir
        self.signers: dict[str, CryptoSigner] = {}

    def _private(self, name: str) -> Any:
        path = self.key_dir / f"{name}.{self.scheme}.pem" if self.key_dir else None
        if path is not None and path.is_file():
            return load_pem_private_key(path.read_bytes(), None)
        algorithm = SCHEMES[self.scheme]
        if algorithm == "ed25519":
            private: Any = ed25519.Ed25519PrivateKey.generate()
        elif algorithm == "p256":
            private = ec.generate_private_key(ec.SECP256R1())
        elif algorithm == "p384":
            private = ec.generate_private_key(ec.SECP384R1())
        else:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        return private

    def signer(self, name: str) -> CryptoSigner:
        if name not in self.signers:
            private = self._private(name)
            public = SSlibKey.from_crypto(private.public_key(), scheme=self.scheme)
            self.signers[name] = CryptoSigner(private, public)
        return self.signers[name]

    def public(self, name: str) -> SSlibKey:
        return self.signer(name).public_key  # type: ignore[return-value]

    def keyid(self, name: str) -> str:
        return self.public(name).keyid


# --------------------------------------------------------------------------------------
# The repository
# --------------------------------------------------------------------------------------


def quoted(role: str) -> str:
    return parse.quote(role, safe="")


def signed_bytes(signed: Any, *signers: CryptoSigner) -> bytes:
    md = Metadata(signed)
    for i, signer in enumerate(signers):
        md.sign(signer, append=i > 0)
    return md.to_bytes()


class Repo:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.keys = Keys(args.scheme, args.key_dir)
        self.consistent = not args.no_consistent_snapshot

    def expires(self, role: str) -> datetime:
        return EXPIRED if self.args.expired == role else EXPIRES

    # ---- roots ------------------------------------------------------------------------

    def roots(self) -> list[bytes]:
        def make(version: int, root_key: str) -> Root:
            root = Root(version=version, spec_version=SPEC_VERSION, expires=self.expires("root"),
                        consistent_snapshot=self.consistent)
            root.add_key(self.keys.public(root_key), "root")
            for role in ("timestamp", "snapshot", "targets"):
                root.add_key(self.keys.public(role), role)
            return root

        old = self.keys.signer("root")
        roots = [signed_bytes(make(1, "root"), old)]
        if self.args.rotate_root:
            roots.append(signed_bytes(make(2, "root2"), old, self.keys.signer("root2")))
        return roots

    # ---- targets and delegations ------------------------------------------------------

    def target_contents(self, k: int) -> dict[str, dict[str, bytes]]:
        """role -> target path -> content, for state k."""
        top = {
            "hello.txt": b"hello, world\n",
            "state.txt": f"repository state {k}\n".encode(),
        }
        layout = self.args.layout
        if layout == "flat":
            top["dir/data.bin"] = bytes(range(256)) * 4
            return {"targets": top}
        if layout == "delegations":
            return {
                "targets": top,
                "projects": {
                    "projects/readme.txt": b"the projects role lists this file\n",
                },
                "projects/deep": {
                    "projects/deep/x.txt": b"x, two delegations deep\n",
                },
            }
        roles: dict[str, dict[str, bytes]] = {"targets": top}
        roles.update({name: {} for name in self.succinct().get_roles()})
        # bins/file-0.txt, bins/file-1.txt, ... until every bin holds at least one
        n = 0
        while any(not contents for contents in roles.values()):
            path = f"bins/file-{n}.txt"
            roles[self.succinct().get_role_for_target(path)][path] = f"content of {path}\n".encode()
            n += 1
        return roles

    def succinct(self) -> SuccinctRoles:
        return SuccinctRoles([self.keys.keyid("bins")], 1, 4, "bin")

    def delegations(self, role: str) -> Delegations | None:
        layout = self.args.layout
        if layout == "delegations" and role == "targets":
            key = self.keys.public("projects")
            return Delegations(keys={key.keyid: key}, roles={
                "projects": DelegatedRole("projects", [key.keyid], 1, False,
                                          paths=["projects/*", "projects/*/*"]),
            })
        if layout == "delegations" and role == "projects":
            key = self.keys.public("deep")
            return Delegations(keys={key.keyid: key}, roles={
                "projects/deep": DelegatedRole("projects/deep", [key.keyid], 1, True,
                                               paths=["projects/deep/*"]),
            })
        if layout == "succinct" and role == "targets":
            key = self.keys.public("bins")
            return Delegations(keys={key.keyid: key}, succinct_roles=self.succinct())
        return None

    def signer_of(self, role: str) -> CryptoSigner:
        if role in ("timestamp", "snapshot", "targets", "projects"):
            return self.keys.signer(role)
        if role == "projects/deep":
            return self.keys.signer("deep")
        return self.keys.signer("bins")

    # ---- one state --------------------------------------------------------------------

    def metadata_name(self, role: str, version: int) -> str:
        if self.consistent:
            return f"{version}.{quoted(role)}.json"
        return f"{quoted(role)}.json"

    def target_names(self, path: str, info: TargetFile) -> list[str]:
        if not self.consistent:
            return [path]
        dirname, sep, basename = path.rpartition("/")
        return [f"{dirname}{sep}{digest}.{basename}" for digest in info.hashes.values()]

    def build_state(self, k: int, roots: list[bytes]) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The files of state k (relative path -> bytes) and its summary."""
        files: dict[str, bytes] = {}
        summary: dict[str, Any] = {"version": k, "metadata": {}, "targets": {}}
        for version, data in enumerate(roots, start=1):
            files[f"metadata/{version}.root.json"] = data
        summary["metadata"]["root"] = [f"{v}.root.json" for v in range(1, len(roots) + 1)]

        snapshot = Snapshot(version=k, spec_version=SPEC_VERSION, expires=self.expires("snapshot"), meta={})
        for role, contents in self.target_contents(k).items():
            targets = Targets(version=k, spec_version=SPEC_VERSION, expires=self.expires(role))
            for path, content in contents.items():
                info = TargetFile.from_data(path, content, HASH_ALGORITHMS)
                targets.targets[path] = info
                names = [f"targets/{name}" for name in self.target_names(path, info)]
                for name in names:
                    files[name] = content
                summary["targets"][path] = {
                    "role": role,
                    "length": len(content),
                    "sha256": info.hashes["sha256"],
                    "sha512": info.hashes["sha512"],
                    "files": names,
                }
            targets.delegations = self.delegations(role)
            data = signed_bytes(targets, self.signer_of(role))
            name = self.metadata_name(role, k)
            files[f"metadata/{name}"] = data
            summary["metadata"][role] = name
            if self.args.meta_hashes:
                snapshot.meta[f"{role}.json"] = MetaFile.from_data(k, data, ["sha256"])
            else:
                snapshot.meta[f"{role}.json"] = MetaFile(version=k)

        data = signed_bytes(snapshot, self.keys.signer("snapshot"))
        name = self.metadata_name("snapshot", k)
        files[f"metadata/{name}"] = data
        summary["metadata"]["snapshot"] = name

        timestamp = Timestamp(version=k, spec_version=SPEC_VERSION, expires=self.expires("timestamp"),
                              snapshot_meta=MetaFile.from_data(k, data, ["sha256"]))
        files["metadata/timestamp.json"] = signed_bytes(timestamp, self.keys.signer("timestamp"))
        summary["metadata"]["timestamp"] = "timestamp.json"
        return files, summary


# --------------------------------------------------------------------------------------
# Self-check with python-tuf's client
# --------------------------------------------------------------------------------------


def check(outdir: Path, summary: dict[str, Any], expired: bool) -> list[str]:
    """Run ngclient over every state in order; return the problems found."""
    from tuf.ngclient import Updater
    from tuf.ngclient.fetcher import FetcherInterface

    class DirFetcher(FetcherInterface):
        def __init__(self) -> None:
            self.base = outdir

        def _fetch(self, url: str) -> Iterator[bytes]:
            path = self.base / url.removeprefix("http://repo/")
            if not path.is_file():
                raise exceptions.DownloadHTTPError(f"not found: {url}", 404)
            return iter([path.read_bytes()])

    problems: list[str] = []
    expired_seen = False
    fetcher = DirFetcher()
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "md"
        md.mkdir()
        trusted = (outdir / summary["trusted_root"]).read_bytes()
        for state in summary["states"]:
            fetcher.base = outdir / state["dir"]
            td = Path(tmp) / f"td-{state['version']}"
            try:
                updater = Updater(str(md), "http://repo/metadata/", str(td), "http://repo/targets/",
                                  fetcher, bootstrap=trusted)
                updater.refresh()
                for path, info in state["targets"].items():
                    targetinfo = updater.get_targetinfo(path)
                    if targetinfo is None:
                        problems.append(f"{state['dir']}: target {path} not found")
                        continue
                    written = Path(updater.download_target(targetinfo))
                    if hashlib.sha256(written.read_bytes()).hexdigest() != info["sha256"]:
                        problems.append(f"{state['dir']}: target {path} differs")
            except exceptions.ExpiredMetadataError as error:
                expired_seen = True
                if not expired:
                    problems.append(f"{state['dir']}: {error!r}")
            except Exception as error:  # noqa: BLE001 - reported
                problems.append(f"{state['dir']}: {error!r}")
            trusted = (md / "root.json").read_bytes() if (md / "root.json").is_file() else trusted
    if expired and not expired_seen:
        problems.append("--expired given but python-tuf saw no expired metadata")
    return problems


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def write_tree(base: Path, files: dict[str, bytes]) -> None:
    for rel, data in sorted(files.items()):
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scheme", choices=sorted(SCHEMES), default="ed25519")
    parser.add_argument("--layout", choices=["flat", "delegations", "succinct"], default="flat")
    parser.add_argument("--no-consistent-snapshot", action="store_true")
    parser.add_argument("--versions", type=int, default=1)
    parser.add_argument("--rotate-root", action="store_true")
    parser.add_argument("--expired", metavar="ROLE")
    parser.add_argument("--meta-hashes", action="store_true")
    parser.add_argument("--key-dir", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.versions < 1:
        parser.error("--versions must be at least 1")

    repo = Repo(args)
    roles = ["root", *repo.target_contents(1), "snapshot", "timestamp"]
    if args.expired is not None and args.expired not in roles:
        parser.error(f"--expired {args.expired}: no such role (roles: {', '.join(roles)})")
    outdir: Path = args.outdir
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)

    roots = repo.roots()
    summary: dict[str, Any] = {
        "scheme": args.scheme,
        "layout": args.layout,
        "consistent_snapshot": repo.consistent,
        "versions": args.versions,
        "root_version": len(roots),
        "expired": args.expired,
        "trusted_root": "metadata/1.root.json",
        "states": [],
    }
    cumulative: dict[str, bytes] = {}
    for k in range(1, args.versions + 1):
        files, state = repo.build_state(k, roots)
        if repo.consistent:
            # Earlier versions stay (timestamp.json, the only unversioned file, is replaced).
            cumulative.update(files)
            files = dict(cumulative)
        state["dir"] = f"state-{k}"
        write_tree(outdir / state["dir"], files)
        summary["states"].append(state)
        if k == args.versions:
            write_tree(outdir, files)

    if args.check:
        problems = check(outdir, summary, args.expired is not None)
        if problems:
            for problem in problems:
                print(f"check: {problem}", file=sys.stderr)
            return 1
    line = json.dumps(summary, sort_keys=True)
    (outdir / "summary.json").write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

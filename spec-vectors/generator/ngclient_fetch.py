#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""Fetch targets from a served TUF repository with python-tuf's ngclient (the reference client).

    python ngclient_fetch.py METADATA_URL TARGET_URL TRUSTED_ROOT_FILE WORKDIR [TARGET ...]

- METADATA_URL, TARGET_URL: the base URLs of the repository's metadata and targets (a missing
  trailing `/` is added).
- TRUSTED_ROOT_FILE: the root trusted out of band. It is copied to WORKDIR/md/root.json unless
  that file exists already, so that running the script again with the same WORKDIR continues
  from the metadata trusted by the earlier run (as a real client would).
- WORKDIR: the client's state: WORKDIR/md (metadata_dir) and WORKDIR/td (target_dir), created
  when missing.

The script runs `Updater.refresh()`, then for each TARGET `get_targetinfo` and
`download_target` (in order, stopping at the first failure), and prints one JSON line:

    {"ok": true, "error": null, "downloaded": {"TARGET": "<sha256 of the file written>"},
     "files": {"TARGET": "<path of the file written>"},
     "versions": {"root": N, "timestamp": N, "snapshot": N, "targets": N}}

On a failure `ok` is false and `error` is "<ExceptionType>: <message>" (`downloaded` holds the
targets fetched before it; `versions` the trusted top-level versions, when known). The exit
code is 0 iff ok, 1 otherwise (2 for bad arguments).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any


def _versions(md: Path) -> dict[str, int]:
    """The versions of the trusted top-level metadata in MD (as stored by ngclient)."""
    versions: dict[str, int] = {}
    for role in ("root", "timestamp", "snapshot", "targets"):
        path = md / f"{role}.json"
        try:
            versions[role] = int(json.loads(path.read_bytes())["signed"]["version"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return versions


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    metadata_url, target_url, trusted_root, workdir_arg, *targets = argv
    if not metadata_url.endswith("/"):
        metadata_url += "/"
    if not target_url.endswith("/"):
        target_url += "/"

    workdir = Path(workdir_arg)
    md = workdir / "md"
    td = workdir / "td"
    result: dict[str, Any] = {"ok": False, "error": None, "downloaded": {}, "files": {}}
    try:
        md.mkdir(parents=True, exist_ok=True)
        td.mkdir(parents=True, exist_ok=True)
        if not (md / "root.json").exists():
            shutil.copyfile(trusted_root, md / "root.json")

        from tuf.ngclient import Updater

        updater = Updater(
            metadata_dir=str(md),
            metadata_base_url=metadata_url,
            target_dir=str(td),
            target_base_url=target_url,
            bootstrap=None,  # the trusted root: MD/root.json
        )
        updater.refresh()
        for target in targets:
            info = updater.get_targetinfo(target)
            if info is None:
                raise LookupError(f"target {target!r} not found")
            written = Path(updater.download_target(info))
            result["downloaded"][target] = hashlib.sha256(written.read_bytes()).hexdigest()
            result["files"][target] = str(written)
        result["ok"] = True
    except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
        result["error"] = f"{type(error).__name__}: {error}"
    result["versions"] = _versions(md)
    print(json.dumps(result, sort_keys=True))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

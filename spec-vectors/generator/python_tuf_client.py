#!/usr/bin/env python3
# Copyright The tuf-rs developers. SPDX-License-Identifier: MIT OR Apache-2.0
"""python-tuf's ngclient behind the client command-line protocol (shared/CLIENT-CLI.md).

    python_tuf_client.py --metadata-dir MD init TRUSTED_ROOT
    python_tuf_client.py --metadata-url MURL --metadata-dir MD refresh
    python_tuf_client.py --metadata-url MURL --metadata-dir MD --target-name T [...] \\
        --target-dir TD --target-base-url TURL download

- init: loads TRUSTED_ROOT as root metadata, checks it is signed by its own threshold, and
  copies its bytes to MD/root.json (no network, no expiry check).
- refresh: `Updater(MD, MURL, bootstrap=None).refresh()` (bootstrap=None: the trusted root is
  MD/root.json; ngclient 7 then keeps roots in MD/root_history/ with root.json a symlink to the
  newest).
- download: one Updater: `refresh()`, then for each target in order `get_targetinfo`,
  `find_cached_target` and, if not cached, `download_target` into TD.

ngclient stores metadata as MD/<quoted role>.json and targets as TD/<quoted path>, which is
what the protocol asks for. Exit code 0 on success, 1 on any failure (bad arguments included).
"""

from __future__ import annotations

import os
import sys
import traceback


def _parse(argv: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    options: dict[str, list[str]] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and not rest:
            if i + 1 >= len(argv):
                raise ValueError(f"option {arg} needs a value")
            options.setdefault(arg[2:], []).append(argv[i + 1])
            i += 2
        else:
            rest.append(arg)
            i += 1
    return options, rest


def _one(options: dict[str, list[str]], name: str) -> str:
    values = options.get(name)
    if not values or len(values) != 1:
        raise ValueError(f"--{name} is required exactly once")
    return values[0]


def main(argv: list[str]) -> int:
    options, rest = _parse(argv)
    if not rest:
        raise ValueError("missing command (init, refresh, download)")
    command, args = rest[0], rest[1:]
    metadata_dir = _one(options, "metadata-dir")

    from tuf.api.metadata import Metadata, Root
    from tuf.ngclient import Updater

    if command == "init":
        if len(args) != 1:
            raise ValueError("init takes TRUSTED_ROOT")
        with open(args[0], "rb") as f:
            data = f.read()
        root = Metadata[Root].from_bytes(data)
        root.verify_delegate(Root.type, root)
        os.makedirs(metadata_dir, exist_ok=True)
        tmp = os.path.join(metadata_dir, ".root.json.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(metadata_dir, "root.json"))
        return 0

    metadata_url = _one(options, "metadata-url")
    if command == "refresh":
        if args:
            raise ValueError("refresh takes no arguments")
        Updater(
            metadata_dir=metadata_dir, metadata_base_url=metadata_url, bootstrap=None
        ).refresh()
        return 0

    if command == "download":
        if args:
            raise ValueError("download takes no arguments")
        targets = options.get("target-name") or []
        if not targets:
            raise ValueError("download needs at least one --target-name")
        target_dir = _one(options, "target-dir")
        os.makedirs(target_dir, exist_ok=True)
        updater = Updater(
            metadata_dir=metadata_dir,
            metadata_base_url=metadata_url,
            target_dir=target_dir,
            target_base_url=_one(options, "target-base-url"),
            bootstrap=None,
        )
        updater.refresh()
        for name in targets:
            info = updater.get_targetinfo(name)
            if info is None:
                raise LookupError(f"target {name!r} not found")
            if updater.find_cached_target(info) is None:
                updater.download_target(info)
        return 0

    raise ValueError(f"unknown command {command!r}")


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except BaseException as error:  # noqa: BLE001 - every failure is exit code 1
        if isinstance(error, SystemExit) and error.code in (0, None):
            sys.exit(0)
        print(f"python_tuf_client: {type(error).__name__}: {error}", file=sys.stderr)
        if os.environ.get("PYTHON_TUF_CLIENT_TRACEBACK"):
            traceback.print_exc()
        sys.exit(1)
    sys.exit(code)

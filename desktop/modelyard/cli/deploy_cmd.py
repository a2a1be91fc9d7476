"""`modelyard export …` and `modelyard bundle verify|key …`: deployment bundles."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from modelyard.errors import InvalidInputError


def cmd_export(store, args) -> int:
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import get_model_version

    if args.version is None:
        from modelyard.registry.aliases import resolve

        version = resolve(store, args.model)  # MODEL (newest), MODEL:N or MODEL@ALIAS
    else:
        version = get_model_version(store, args.model, args.version)
    bundle = export_bundle(
        store,
        version,
        Path(args.out),
        overwrite=args.force,
        archive=args.archive,
        onnx=not args.no_onnx,
        sign=args.sign,
        quantize=args.quantize,
        quantize_tolerance=args.quantize_tolerance,
        challenger=args.challenger,
        split=args.split,
        shadow=args.shadow,
    )
    n_files = len(bundle.files) + (2 if bundle.signed_by else 1)
    print(f"Exported {version.label} to {bundle.path} ({n_files} files, {bundle.size:,} bytes).")
    print(bundle.onnx_text())
    if bundle.quantization_text():
        print(bundle.quantization_text())
    if bundle.routing_text():
        print(bundle.routing_text())
    if bundle.signed_by:
        print(bundle.signature_text())
    return 0


def cmd_bundle_rewrite(store, args) -> int:
    from modelyard.deploy.promote import rewrite_bundle

    bundle = rewrite_bundle(store, Path(args.dir), args.bundle_command, Path(args.out), args.force)
    what = "Promoted" if args.bundle_command == "promote" else "Rolled back to"
    print(f"{what} v{_version_of(bundle)}: wrote {bundle.path} (one version).")
    print(bundle.onnx_text())
    return 0


def _version_of(bundle) -> int:
    import json

    return json.loads((bundle.path / "manifest.json").read_text())["model"]["version"]


def cmd_bundle_verify(_store, args) -> int:
    from modelyard.deploy.bundle import verify_bundle

    result = verify_bundle(Path(args.dir), key=args.key)
    if result.ok:
        print(result.describe())
        return 0
    print(result.describe(), file=sys.stderr)
    return 1


def cmd_bundle_key(_store, args) -> int:
    from modelyard.deploy import signing

    pem = signing.public_key_pem()
    if args.out is None:
        print(pem, end="")
        return 0
    out = Path(args.out).expanduser()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        with os.fdopen(fd, "w") as f:
            f.write(pem)
        os.chmod(tmp, 0o644)  # a public key is meant to be shared
        os.replace(tmp, out)
    except OSError as exc:
        raise InvalidInputError(
            f"The public key cannot be written to {out}: {exc.strerror or exc}."
        ) from exc
    print(f"Wrote the public key {signing.public_key_id()} to {out}.")
    print(f"Check a signed bundle with: modelyard bundle verify BUNDLE --key {out}")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("export", help="export a model version as a deployment bundle")
    p.add_argument("model")
    p.add_argument("--version", type=int, help="default: the newest version")
    p.add_argument("--out", required=True, help="the bundle folder to create")
    p.add_argument("--force", action="store_true", help="replace an existing folder")
    p.add_argument("--archive", action="store_true", help="write a .tar.gz instead of a folder")
    p.add_argument("--no-onnx", action="store_true", help="skip the ONNX copy of the model")
    p.add_argument(
        "--sign",
        action="store_true",
        help="sign the manifest with your ed25519 key (made on first use; see `bundle key`)",
    )
    p.add_argument(
        "--quantize",
        choices=("int8", "float16"),
        help="ship a quantized model.onnx, checked on the holdout (refused past the tolerance)",
    )
    p.add_argument(
        "--quantize-tolerance",
        type=float,
        metavar="DROP",
        help="largest metric drop allowed: accuracy points for classifiers, relative RMSE "
        "increase for regressors (default 0.01)",
    )
    p.add_argument(
        "--challenger",
        type=int,
        metavar="M",
        help="A/B: version M of the same model answers --split percent of the requests",
    )
    p.add_argument(
        "--split",
        type=float,
        metavar="PERCENT",
        help="the challenger's share of requests in percent (default 10)",
    )
    p.add_argument(
        "--shadow",
        type=int,
        metavar="M",
        help="version M answers every request in the background; its answers are only logged",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bundle", help="work with exported bundles")
    bundle_sub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    v = bundle_sub.add_parser("verify", help="check every file against the bundle's manifest")
    v.add_argument("dir", help="a bundle folder or .tar.gz")
    v.add_argument(
        "--key",
        metavar="PUBKEY",
        help="also require a valid signature by this public key (from `bundle key --out`)",
    )
    v.set_defaults(func=cmd_bundle_verify, needs_store=False)
    for action, text in (
        ("promote", "write a new bundle serving the challenger (or shadow) alone"),
        ("rollback", "write a new bundle serving the champion alone"),
    ):
        r = bundle_sub.add_parser(action, help=text)
        r.add_argument("dir", help="an A/B or shadow bundle folder or .tar.gz")
        r.add_argument("--out", required=True, help="the new bundle folder")
        r.add_argument("--force", action="store_true", help="replace an existing bundle there")
        r.set_defaults(func=cmd_bundle_rewrite)
    k = bundle_sub.add_parser(
        "key", help="print (or write) the public key that checks the bundles you sign"
    )
    k.add_argument("--out", metavar="FILE", help="write the PEM public key to FILE")
    k.set_defaults(func=cmd_bundle_key, needs_store=False)

"""Generate Python protobuf/gRPC code (with type stubs) from protos/ into libs/contracts/src.

Run through `just gen`. The output is git-ignored and must never be edited by hand.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "libs" / "contracts" / "src"


def main() -> int:
    """Regenerate every .proto under protos/ in one protoc call."""
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    if not files:
        print("no .proto files under protos/", file=sys.stderr)
        return 1
    target = OUT / "switchyard"
    if target.exists():
        shutil.rmtree(target)
    for extra in ("agent",):  # wire-compatible packages that live outside switchyard.*
        if (OUT / extra).exists():
            shutil.rmtree(OUT / extra)
    OUT.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *files,
    ]
    code = protoc.main(args)
    if code != 0:
        return int(code)
    (OUT / "switchyard" / "py.typed").touch()
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

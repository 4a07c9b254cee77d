"""Serve a Pulumi Python program to the real CLI over the LanguageRuntime protocol.

    python tools/engine/client_host.py PROGRAM_DIR      # prints the port, serves until stdin closes

then `pulumi preview --client=127.0.0.1:PORT ...` in PROGRAM_DIR. tools/engine/run_pulumi.py does both.

Why this exists: the CLI normally starts the Go language host `pulumi-language-python`, but the Go module
proxy here refuses every version of github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
(403 "This module version is not available"), and the host is no part of the modules it does serve.
The CLI's hidden `--client ADDR` flag (the one Automation API inline programs use) makes it talk to an
already running language runtime instead. The runtime served here is the Python SDK's own
`pulumi.automation._server.LanguageServer`, so the program runs under upstream code, in this process,
with the interpreter that runs this script (the project's .venv).

What differs from the Go host: it does not create or select a virtualenv, install dependencies, or report
required plugins (GetRequiredPlugins answers empty, so the CLI loads providers when the program registers
them; they must be on PATH or in PULUMI_HOME already).
"""

from __future__ import annotations

import runpy
import sys
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import language_pb2_grpc


def serve(program_dir: Path) -> grpc.Server:
    """Start the language runtime for the program in `program_dir`; returns the started server."""
    main = program_dir / "__main__.py"
    if not main.is_file():
        raise SystemExit(f"client_host: {main} not found (the program directory needs a __main__.py)")
    # The Go host runs programs with the project directory as cwd and first on sys.path; do the same so
    # relative paths and sibling imports behave as under `pulumi up`.
    sys.path.insert(0, str(program_dir))

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    return server


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    server = serve(Path(argv[0]).resolve())
    # Serve until the parent closes our stdin (or dies): no port or process is left behind.
    sys.stdin.read()
    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

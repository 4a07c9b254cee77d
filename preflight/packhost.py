"""Start a policy pack exactly as `python -m pulumi.policy ENGINE PACK` does, with one addition:
exceptions raised inside policies are logged to stderr (gRPC's server logs them, but the pack
process configures no logging handler), so preflight can name the exception a crashing policy
raised instead of gRPC's bare "Exception calling application"."""

import logging
import runpy
import sys

if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR, format="%(message)s")
    runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)

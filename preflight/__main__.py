"""`python -m preflight`."""

import sys

try:
    from preflight.cli import main
except ImportError as exc:  # run outside the project's virtualenv
    print(
        f"preflight: a dependency is missing ({exc}) (interpreter {sys.executable}). Run it with the "
        "project's virtualenv: `python3 dev.py preflight`, or `.venv/bin/python -m preflight ...` from the "
        "repository root after `python3 dev.py test` or `pip install -r requirements.txt`.",
        file=sys.stderr,
    )
    sys.exit(2)

sys.exit(main(sys.argv[1:]))

"""preflight: `pulumi preview --policy-pack` offline.

Runs a Pulumi Python program for one stack under Pulumi's mock monitor (no cloud, no state
backend, no CLI), records the resource graph, drives each policy pack over the real analyzer
gRPC protocol, prints a summary and writes JSON, SARIF, JUnit and Markdown reports.

Exit codes: 0 clean or advisory only, 1 mandatory violations, 2 anything failed.
"""

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_FAILED = 2

"""Run the ogctests conformance suite (PyPI ``ogctests``) with an authenticated client; not a pytest module.

Usage, with the Python of the environment where ogctests is installed (it needs pytest 8, the
project pins pytest 9, so it lives in its own virtualenv):

    python tests/layers/ogctests_run.py BASE_URL TOKEN JUNIT_XML SCOPE...
"""

import sys

import httpx
from ogctests.main import run_ogctests

base_url, token, junit, *scopes = sys.argv[1:]
client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
status = 0
for index, scope in enumerate(scopes):
    flags = ["-q", "-p", "no:cacheprovider", "--tb=short", f"--junit-xml={junit}.{index}.xml"]
    status |= run_ogctests(scope, base_url, flags, test_client=client)
sys.exit(status)

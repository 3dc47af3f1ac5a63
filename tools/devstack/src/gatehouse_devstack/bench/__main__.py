"""`python -m gatehouse_devstack.bench`: see gatehouse_devstack.bench.runner."""

from __future__ import annotations

import sys

from gatehouse_devstack.bench.runner import main

if __name__ == "__main__":
    sys.exit(main())

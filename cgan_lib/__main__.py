"""`python -m cgan_lib`: the same as the `cgan` command."""

import sys

from cgan_lib.cli import main

sys.exit(main())

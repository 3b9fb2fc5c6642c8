"""``python -m djl_bridge``: the ``djl-bridge`` program."""
import sys

from .program import main

sys.exit(main())

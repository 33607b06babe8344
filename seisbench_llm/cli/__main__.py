"""``python -m seisbench_llm.cli``."""

import sys

from seisbench_llm.cli import main

sys.exit(main())

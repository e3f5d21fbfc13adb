"""Root pytest configuration: every test and every nbval kernel runs in quick mode, without a display.

(TensorFlow's logging is quieted by `import cgan_lib`, which every test and chapter does first.)
"""

import os

os.environ.setdefault("CGAN_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
